"""What a newcomer reads is true: the README's table count and list follow the store's models,
its nginx recipe sends exactly verikit's routes to verikit, `make run` installs no test
tooling, and CI still runs `make test`."""
import re

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
           "ten": 10}


def test_the_table_count_and_list_follow_the_models():
    from chalicelib.store import all_models
    from deploy.tables import model_kind

    kinds = [model_kind(m) for m in all_models()]
    stated = re.search(r"\b(\w+)\s+DynamoDB tables", README).group(1)
    assert NUMBERS.get(stated) == len(kinds), f"README says {stated} DynamoDB tables; the store has {kinds}"
    listed = README[README.index("- the tables `verikit-<stage>-codes`"):]
    listed = listed[:listed.index("\n- ")]
    for kind in kinds:
        assert f"-{kind}`" in listed, f"README's provision list misses the {kind} table"


def nginx_verikit_location() -> re.Pattern:
    block = re.search(r"```nginx\n(.*?)```", README, flags=re.S).group(1)
    return re.compile(re.search(r"location ~ (\S+) \{", block).group(1))


def test_the_reverse_proxy_recipe_sends_every_verikit_route_to_verikit_and_nothing_else():
    from chalicelib.openapi.operations import OPERATIONS

    served = nginx_verikit_location()
    for _, path in OPERATIONS:
        if path.startswith("/dev/"):
            continue  # local only
        concrete = re.sub(r"\{[^}]+\}", "x1", path)
        assert served.match(concrete), f"the nginx recipe does not send {path} to verikit"
    for other in ("/1.1/classes/Post", "/1.1/classes/_UserProfile", "/1.1/functions/hello", "/1.1/call/hello",
                  "/1.1/files/a.png", "/1.1/fileTokens", "/1.1/push", "/1.1/installations", "/1.1/batch",
                  "/1.1/date", "/1.1/usersX", "/1.1/cloudQuery", "/"):
        assert not served.match(other), f"the nginx recipe sends {other} to verikit"


def requirement_names(path) -> set:
    out = set()
    for line in (ROOT / path).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("-r "):
            out |= requirement_names(line[3:].strip())
        elif line.startswith("-c "):
            continue  # pins, not packages
        elif line:
            out.add(re.split(r"[\[=<>~ ]", line)[0].lower())
    return out


# runtime packages `make run` leaves out: SDKs of SMS providers it never calls locally
PROVIDER_SDKS = {"alibabacloud-dysmsapi20170525", "tencentcloud-sdk-python-sms", "twilio", "vonage"}


def test_make_run_installs_the_runtime_but_the_sms_providers_sdks():
    runtime = requirement_names("requirements.txt")
    serve = requirement_names("requirements-serve.txt")
    missing = runtime - serve - PROVIDER_SDKS
    assert not missing, (f"requirements.txt has {sorted(missing)}, which requirements-serve.txt (make run) "
                         "lacks: add the name there (its pin stays in requirements.txt)")
    assert "-c requirements.txt" in (ROOT / "requirements-serve.txt").read_text()
    assert runtime <= requirement_names("requirements-dev.txt")   # make test has them all


def test_make_run_installs_what_serving_needs_and_no_test_tooling():
    serve = requirement_names("requirements-serve.txt")
    assert {"chalice", "boto3", "moto", "flask", "pynamodb", "phonenumberslite", "pydantic"} <= serve
    assert not serve & {"pytest", "schemathesis", "playwright", "cfn-lint", "openapi-spec-validator"}
    assert {"pytest", "schemathesis", "playwright", "cfn-lint"} <= requirement_names("requirements-dev.txt")
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run: \$\(VENV\)/\.serve$", makefile, flags=re.M)
    assert re.search(r"^test: \$\(VENV\)/\.installed ", makefile, flags=re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()
