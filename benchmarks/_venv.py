"""A throw-away virtual environment that installs a freshly built wheel of QuickCRM while
borrowing this interpreter's installed dependencies.

Why not ``system_site_packages=True``: inside a virtual environment that flag shows the
*base* interpreter's packages, not this environment's, so the dependencies go missing.
Instead a ``.pth`` line adds this interpreter's site directories; a plain path line does
not run the ``.pth`` files found there, so an editable QuickCRM installed here stays
invisible and the wheel's copy is the one imported.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path


def build_wheel(root: Path, dist: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(root), "--no-deps", "-q",
                    "-w", str(dist)], check=True)
    (wheel,) = dist.glob("quickcrm-*.whl")
    return wheel


def venv_with_wheel(env_dir: Path, wheel: Path) -> Path:
    """Create ``env_dir`` with ``wheel`` installed; returns its bin directory."""
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    site = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip())
    ours = sysconfig.get_paths()
    (site / "_borrowed_dependencies.pth").write_text(
        "\n".join(sorted({ours["purelib"], ours["platlib"]})) + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                    str(wheel)], check=True)
    return env_dir / "bin"
