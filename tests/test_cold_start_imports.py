"""What a cold instance's send path imports: no aws-lambda-powertools (EMF is written by
hand), and phonenumbers' parsing module without the package's other modules, while
``import phonenumbers`` elsewhere still gets the whole package. Fresh interpreters."""
import subprocess
import sys

from conftest import ROOT


def run(code: str) -> None:
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr[-2000:]


def test_metrics_load_no_powertools():
    run("import sys; from chalicelib import metrics; metrics.emit('Sent', 'sms', 'GB'); "
        "assert not [m for m in sys.modules if m.startswith(('aws_lambda_powertools', 'typing_extensions'))]")


def test_a_number_is_checked_without_the_rest_of_phonenumbers():
    run("import sys\n"
        "from chalicelib.core import phone\n"
        "assert phone.normalise('+8613800138000', 'CN', ('*',)).e164 == '+8613800138000'\n"
        "loaded = [m for m in sys.modules if m.startswith('phonenumbers')]\n"
        "assert 'phonenumbers.asyoutypeformatter' not in loaded, loaded\n"
        "assert 'phonenumbers.phonenumbermatcher' not in loaded, loaded\n"
        "import phonenumbers\n"
        "assert phonenumbers.PhoneNumberMatcher and phonenumbers.AsYouTypeFormatter  # the real __init__, on first use\n"
        "assert phonenumbers.is_valid_number(phonenumbers.parse('+447911123456'))\n"
        "from phonenumbers import PhoneNumberFormat\n"
        "assert PhoneNumberFormat.E164 == 0\n")


def test_phonenumbers_imported_first_is_left_alone():
    run("import sys\n"
        "import phonenumbers\n"
        "from chalicelib.core import phone\n"
        "assert phone.numbers() is sys.modules['phonenumbers.phonenumberutil']\n"
        "assert phone.normalise('+14155552671', 'US', ('US',)).region == 'US'\n")
