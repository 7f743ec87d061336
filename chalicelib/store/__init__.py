"""DynamoDB persistence: one module per table, each a pynamodb model plus its store.

The models are the single source of truth for table definitions (keys, indexes, TTL);
local runs, tests and deployment provision from ``ALL_MODELS``.
"""


def all_models():
    from .codes import CodeModel
    from .config import ConfigModel
    from .counters import CounterModel
    from .deliveries import DeliveryModel
    from .sendlog import SendLogModel
    from .stats import StatsModel
    from .users import UserModel
    from .webhooks import WebhookModel

    return [CodeModel, CounterModel, ConfigModel, SendLogModel, StatsModel, UserModel, WebhookModel, DeliveryModel]
