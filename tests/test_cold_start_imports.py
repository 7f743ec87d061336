"""What a cold instance's send path imports: no aws-lambda-powertools (EMF is written by
hand), and phonenumbers' parsing module without the package's other modules nor its
alternate formats, while ``import phonenumbers`` elsewhere still gets the whole package.
Fresh interpreters. (No dataclass on the send path: tests/test_records_behave_as_dataclasses.py.)"""
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


MATCH = ("import phonenumbers\n"
         "text = 'Ruf 030 123456 an, +49 30 1234567, 0049 89 1234567, (0)30/1234-5678; UK 020 7946 0958'\n"
         "print([(m.start, m.raw_string, phonenumbers.format_number(m.number, 0)) for m in "
         "phonenumbers.PhoneNumberMatcher(text, 'DE')])\n")


def test_the_number_matchers_alternate_formats_load_on_first_use():
    """The send path leaves phonenumbers' 46 alternate-format modules unloaded; the matcher,
    which alone reads them, then finds what it finds with the package imported as usual."""
    code = ("import sys\n"
            "from chalicelib.core import phone\n"
            "assert phone.normalise('+4915123456789', 'DE', ('*',)).e164 == '+4915123456789'\n"
            "assert not [m for m in sys.modules if 'alt_format' in m]\n"
            "import importlib, phonenumbers.data as d\n"
            "from phonenumbers.data import _ALT_NUMBER_FORMATS as alt\n"
            "assert len(alt) == 46 and all(v is getattr(importlib.import_module(f'phonenumbers.data.alt_format_{cc}'),\n"
            "                                           f'PHONE_ALT_FORMAT_{cc}') for cc, v in alt.items())\n"
            "assert d.PHONE_ALT_FORMAT_49 is alt[49] and d._load_region.__builtins__['__import__'] is __import__\n"
            + MATCH)
    ours = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    plain = subprocess.run([sys.executable, "-c", MATCH], cwd=ROOT, capture_output=True, text=True)
    assert ours.returncode == 0 == plain.returncode, ours.stderr[-2000:] + plain.stderr[-2000:]
    assert ours.stdout == plain.stdout and "+49301234567" in ours.stdout
