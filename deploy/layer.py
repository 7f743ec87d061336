"""The Lambda packages, shipped with their bytecode: the dependencies' layer, and chalice's
own runtime module in the function zip.

chalice (``automatic_layer``) builds the layer by unpacking the wheels of requirements.txt
and vendor/ into ``python/lib/python3.11/site-packages``: sources only. A layer is
mounted read-only at /opt, so Python cannot cache bytecode there and every cold instance
compiles every library module it imports (pynamodb, phonenumbers, ...) again.

``with_bytecode`` builds the layer with chalice's own packager at the path where chalice
caches it (``.chalice/deployments/managed-layer-<hash of requirements.txt and
vendor/>-python3.11.zip``), then adds each module's bytecode for Python 3.11: chalice
finds the package there and reuses it ("Reusing existing shared layer deployment
package"), for ``chalice package`` and ``chalice deploy`` alike. The bytecode is
``unchecked-hash``: a layer never changes once built (a changed requirement is a new
file name), so Python need not read and hash the source before using it.

The function zip has the same gap: chalice copies its runtime, ``chalice/app.py`` (~2000
lines), as source, and compiling it is the most expensive step of any chalice app's cold
start (~50 ms here, more than all of verikit's own modules); ``app.py`` too (~1 ms: chalice
zips ``chalicelib/`` with its ``__pycache__`` but the project's ``app.py`` alone).
``appcode_with_bytecode`` builds the function zip the same way (``appcode-<hash of the app
files>-python3.11.zip``, after ``fresh_bytecode`` compiled chalicelib) and adds
``chalice/__pycache__`` and ``__pycache__/app.cpython-311.pyc``.
"""
from __future__ import annotations

import py_compile
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

RUNTIME = "python3.11"
MARK = "python/lib/python3.11/site-packages/.verikit-bytecode"


def _packager(kind: str = "layer"):
    from chalice.deploy.packager import (AppOnlyDeploymentPackager, DependencyBuilder, LayerDeploymentPackager,
                                         PipRunner, SubprocessPip)
    from chalice.utils import UI, OSUtils

    osutils = OSUtils()
    builder = DependencyBuilder(osutils, PipRunner(pip=SubprocessPip(osutils=osutils), osutils=osutils))
    cls = LayerDeploymentPackager if kind == "layer" else AppOnlyDeploymentPackager
    return cls(osutils, builder, UI())


def path(project_dir) -> Path:
    """Where chalice looks for the stage's layer package."""
    return Path(_packager().deployment_package_filename(str(project_dir), RUNTIME))


def has_bytecode(zip_path: Path) -> bool:
    with zipfile.ZipFile(zip_path) as z:
        return MARK in z.namelist()


def with_bytecode(project_dir) -> Path:
    """Build (or reuse) the layer package and make sure it carries bytecode; its path."""
    if sys.version_info[:2] != (3, 11):  # another Python's bytecode is useless on the runtime
        return path(project_dir)
    target = Path(_packager().create_deployment_package(str(project_dir), RUNTIME))
    if has_bytecode(target):
        return target
    import compileall

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "layer"
        with zipfile.ZipFile(target) as z:
            z.extractall(root)
        compileall.compile_dir(str(root), quiet=2, workers=1, optimize=0,
                               invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        (root / MARK).write_text("compiled for CPython 3.11, unchecked-hash\n")
        staged = target.with_suffix(".tmp")
        with zipfile.ZipFile(staged, "w", zipfile.ZIP_DEFLATED) as z:
            for f in sorted(root.rglob("*")):
                if f.is_file():
                    z.write(f, f.relative_to(root).as_posix())
        shutil.move(str(staged), str(target))
    return target


def _pyc_name(source: str) -> str:
    folder, _, module = source.rpartition("/")
    return f"{folder + '/' if folder else ''}__pycache__/{module[:-3]}.cpython-311.pyc"


def appcode_with_bytecode(project_dir) -> Path:
    """Build (or reuse) the function zip where chalice reuses it, with chalice's runtime and
    ``app.py`` compiled (checked-hash, as chalicelib); its path. Run after ``fresh_bytecode``:
    the zip's name hashes every app file, bytecode included."""
    target = Path(_packager("app").create_deployment_package(str(project_dir), RUNTIME))
    if sys.version_info[:2] != (3, 11):
        return target
    with zipfile.ZipFile(target) as z:
        names = set(z.namelist())
        sources = {n: z.read(n) for n in sorted(names) if (n.startswith("chalice/") and n.endswith(".py") or n == "app.py")
                   and _pyc_name(n) not in names}
    if not sources:
        return target
    import importlib.util

    staged = target.with_suffix(".tmp")
    shutil.copyfile(target, staged)
    with zipfile.ZipFile(staged, "a", zipfile.ZIP_DEFLATED) as z:
        for name, source in sources.items():
            code = compile(source, name, "exec", dont_inherit=True)
            pyc = importlib._bootstrap_external._code_to_hash_pyc(
                code, importlib.util.source_hash(source), checked=True)
            z.writestr(_pyc_name(name), bytes(pyc))
    shutil.move(str(staged), str(target))
    return target


def with_bytecode_all(project_dir) -> tuple:
    """Both packages with their bytecode (the layer, then the function zip)."""
    return with_bytecode(project_dir), appcode_with_bytecode(project_dir)


if __name__ == "__main__":  # make package / make template: python -m deploy.layer [project dir]
    print(*with_bytecode_all(Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()), sep="\n")
