"""Cold start: what a new Lambda instance imports for its first send, against
``import chalice, boto3`` (the floor of any chalice app on boto3).

1. ``trace``: a fresh interpreter runs ``-X importtime`` over ``import app`` and a first
   ``requestSmsCode`` invoked as Lambda invokes the handler (an API Gateway proxy event),
   against moto. Every module it loads is the send path's; run several times, each
   module's fastest self time.
   The headline ratio: the first send's import self times summed against those of
   ``import chalice, boto3``, each module at its fastest run (of either set, for the
   modules both import): robust on a busy machine.
2. ``ratio``: fresh interpreters importing exactly those modules (``import app`` + the
   first send's other top-level imports) vs ``import chalice, boto3``, each less an empty
   interpreter; the fastest of ``runs`` of each (interleaved), wall clock and CPU.
3. The ten most expensive imports the send path adds over ``import chalice, boto3``:
   self times summed per package (chalicelib per module).

Measured as Lambda runs it, from the package ``chalice package`` builds (``lambda_env``):
its function zip and its layer unpacked, on a path of their own (``python -S``) with only
what the Python 3.11 runtime adds (boto3, botocore and their dependencies), bytecode never
written (``/var/task`` and ``/opt`` are read-only): what the package ships compiled is
loaded compiled, the rest is compiled at every cold start, on both sides of the ratio. The
runtime's libraries are loaded compiled, as the runtime ships them: copied and compiled
here, so that the figures do not rest on whether this venv's ``__pycache__`` was written.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FAST = {"cooldown_seconds": 0, "per_number_daily": 1000, "per_ip_hourly": 100000, "allowed_regions": ["*"],
        "fraud_guard": "record"}  # as bench/flows.py: the benchmark's own traffic is never refused
PY = sys.executable
FIRST_SEND = r"""
import json, sys
from app import app
event = {"resource": "/1.1/requestSmsCode", "path": "/1.1/requestSmsCode", "httpMethod": "POST",
         "headers": {"X-LC-Id": sys.argv[1], "X-LC-Key": sys.argv[2], "Content-Type": "application/json"},
         "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
         "pathParameters": None, "stageVariables": None, "isBase64Encoded": False,
         "requestContext": {"resourcePath": "/1.1/requestSmsCode", "httpMethod": "POST", "stage": "api",
                            "identity": {"sourceIp": "203.0.113.9"}, "requestId": "cold"},
         "body": json.dumps({"mobilePhoneNumber": "+86137%08d" % int(sys.argv[3])})}
class Context:
    aws_request_id = "cold"; function_name = "verikit"; memory_limit_in_mb = 512
    def get_remaining_time_in_millis(self): return 10000
r = app(event, Context())
assert r["statusCode"] == 200, r
"""
LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


RUNTIME_LIBS = ("boto3", "botocore", "jmespath", "dateutil", "urllib3", "six.py", "s3transfer")


def _runtime_copy(src: Path, dst: Path) -> None:
    """The sources copied (their bytecode is written beside them), the rest linked."""
    import shutil

    if dst.exists() or dst.is_symlink():
        return
    if src.is_file():
        shutil.copyfile(src, dst)
        return
    for d, dirs, files in os.walk(src):
        dirs[:] = [x for x in dirs if x != "__pycache__"]
        out = dst / Path(d).relative_to(src)
        out.mkdir(parents=True, exist_ok=True)
        for f in files:
            if f.endswith(".py"):
                shutil.copyfile(Path(d) / f, out / f)
            elif not f.endswith(".pyc"):
                (out / f).symlink_to(Path(d) / f)


def lambda_env(package_dir: Path, into: Path) -> dict:
    """The environment of a Lambda instance from ``chalice package``'s output: the function
    zip in ``task/``, the layer in ``opt/``, the runtime's libraries in ``runtime/``."""
    import site
    import zipfile

    with zipfile.ZipFile(package_dir / "deployment.zip") as z:
        z.extractall(into / "task")
    layer = package_dir / "layer-deployment.zip"
    if layer.exists():
        with zipfile.ZipFile(layer) as z:
            z.extractall(into / "opt")
    runtime = into / "runtime"
    runtime.mkdir(exist_ok=True)
    libs = Path(next(p for p in site.getsitepackages() if (Path(p) / "botocore").is_dir()))
    for name in RUNTIME_LIBS:
        _runtime_copy(libs / name, runtime / name)
    # the runtime's libraries come compiled, whatever the state of this venv's __pycache__
    # (pip --no-compile, PYTHONDONTWRITEBYTECODE): compiled here, in the copy
    import compileall
    compileall.compile_dir(str(runtime), quiet=2, workers=1)
    path = [into / "task", into / "opt" / "python" / "lib" / "python3.11" / "site-packages", runtime]
    return {"PYTHONPATH": os.pathsep.join(map(str, path)), "PYTHONDONTWRITEBYTECODE": "1", "_CWD": str(into / "task")}


def _env(extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    env.update(extra or {})
    return env


def _importtime(args: list, env: dict) -> tuple:
    """({module: self µs}, [top-level modules in order]) of one fresh interpreter."""
    p = subprocess.run([PY, "-S", "-X", "importtime", *args], cwd=env["_CWD"], env=env, capture_output=True, text=True)
    if p.returncode:
        raise RuntimeError(p.stderr[-2000:])
    selfs, top = {}, []
    for line in p.stderr.splitlines():
        m = LINE.match(line)
        if m:
            selfs[m.group(4)] = int(m.group(1))
            if not m.group(3):
                top.append(m.group(4))
    return selfs, top


def _fastest(stmt: str, runs: int, env: dict) -> tuple:
    """(wall s, CPU s) of ``python -c stmt``: the fastest of ``runs``."""
    walls, cpus = [], []
    for _ in range(runs):
        t = time.perf_counter()
        p = subprocess.Popen([PY, "-S", "-c", stmt], cwd=env["_CWD"], env=env)
        _, status, usage = os.wait4(p.pid, 0)
        walls.append(time.perf_counter() - t)
        cpus.append(usage.ru_utime + usage.ru_stime)
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode:
            raise RuntimeError(f"{stmt!r} exited {p.returncode}")
    return min(walls), min(cpus)


def _group(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:3]) if parts[0] == "chalicelib" else parts[0]


def measure(keys: dict, package_dir: Path, runs: int = 11, traces: int = 9) -> dict:
    """Needs moto running with the tables (``AWS_ENDPOINT_URL`` in the environment) and
    ``chalice package``'s output in ``package_dir``."""
    import tempfile

    where = Path(tempfile.mkdtemp())
    env = _env({**lambda_env(package_dir, where), **keys, "VERIKIT_LOCAL": "", "VERIKIT_METRICS": "1",
                "VERIKIT_SETTINGS": json.dumps(FAST)})
    send_runs, base_runs, top = [], [], []
    for i in range(traces):
        selfs, order = _importtime(["-c", FIRST_SEND, keys["VERIKIT_APP_ID"], keys["VERIKIT_APP_KEY"], str(i)], env)
        send_runs.append(selfs)
        top = top or order
        base_runs.append(_importtime(["-c", "import chalice, boto3"], env)[0])

    def fastest(runs_):
        return {m: min(r[m] for r in runs_ if m in r) for m in runs_[0]}

    send, base = fastest(send_runs), fastest(base_runs)
    # a module both import does the same work in both: its fastest run of either set
    for m in set(send) & set(base):
        send[m] = base[m] = min(send[m], base[m])
    added = Counter()
    for m, us in send.items():
        if m not in base:
            added[_group(m)] += us
    # the modules the first send loaded, imported in one statement (app first, as Lambda does)
    skip = {"encodings", "site", "gc", "io", "_signal", "zipimport", "_frozen_importlib_external"}
    mods = ["app"] + [m for m in top if m != "app" and m not in skip and not m.startswith("encodings.")]
    stmt = "import " + ", ".join(dict.fromkeys(m for m in mods if not m.startswith("phonenumbers")))
    if any(m.startswith("phonenumbers") for m in mods):  # as the send loads it (core/phone.py)
        stmt += "; from chalicelib.core.phone import numbers; numbers(); import " + ", ".join(
            m for m in mods if m.startswith("phonenumbers."))
    timed: dict = {"pass": [], "import chalice, boto3": [], stmt: [], "import app": []}
    for _ in range(runs):  # interleaved, so that a busy spell on the machine hits all alike
        for k in timed:
            timed[k].append(_fastest(k, 1, env))
    empty, floor, path, app_only = (tuple(min(x[i] for x in timed[k]) for i in (0, 1)) for k in timed)
    send_self, base_self = sum(send.values()), sum(base.values())
    ms = lambda a, b: round((a - b) * 1000, 1)  # noqa: E731
    return {
        "runs": runs, "traces": traces,
        "importtime_chalice_boto3_ms": round(base_self / 1000, 1), "importtime_send_path_ms": round(send_self / 1000, 1),
        "importtime_ratio": round(send_self / base_self, 2),
        "chalice_boto3_ms": ms(floor[0], empty[0]), "chalice_boto3_cpu_ms": ms(floor[1], empty[1]),
        "import_app_ms": ms(app_only[0], empty[0]),
        "send_path_ms": ms(path[0], empty[0]), "send_path_cpu_ms": ms(path[1], empty[1]),
        "send_path_ratio": round((path[0] - empty[0]) / (floor[0] - empty[0]), 2),
        "send_path_cpu_ratio": round((path[1] - empty[1]) / (floor[1] - empty[1]), 2),
        "modules_loaded": len(send), "modules_beyond_chalice_boto3": sum(1 for m in send if m not in base),
        "self_ms_beyond_chalice_boto3": round(sum(added.values()) / 1000, 1),
        "top10": [(name, round(us / 1000, 1)) for name, us in added.most_common(10)],
        "statement": stmt,
    }


def report(r: dict) -> str:
    lines = [f"Cold start, -X importtime (each module's fastest of {r['traces']} fresh interpreters, summed): "
             f"import chalice, boto3 {r['importtime_chalice_boto3_ms']} ms; import app + its first send "
             f"{r['importtime_send_path_ms']} ms: **{r['importtime_ratio']}x**",
             f"Cold start, fastest of {r['runs']} fresh interpreters: import chalice, boto3 {r['chalice_boto3_ms']} ms "
             f"(CPU {r['chalice_boto3_cpu_ms']} ms); import app {r['import_app_ms']} ms; app + everything the first "
             f"send imports {r['send_path_ms']} ms (CPU {r['send_path_cpu_ms']} ms): {r['send_path_ratio']}x wall, "
             f"{r['send_path_cpu_ratio']}x CPU",
             f"  the first send loads {r['modules_loaded']} modules, {r['modules_beyond_chalice_boto3']} beyond "
             f"chalice+boto3 ({r['self_ms_beyond_chalice_boto3']} ms of import self time); the ten most expensive:"]
    lines += [f"    {ms:6.1f} ms  {name}" for name, ms in r["top10"]]
    return "\n".join(lines)
