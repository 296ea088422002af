"""Ships the process definitions (bpmn/, forms/) inside the package as `workflows/definitions/`.

They live at the project's top level, where the modelers and `grantflow deploy` expect them; an
installed grantflow finds this copy instead (see `workflows.settings`). Everything else is in
pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

DEFINITION_FOLDERS = ("bpmn", "forms")


class BuildWithDefinitions(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "workflows" / "definitions"
        for name in DEFINITION_FOLDERS:
            shutil.copytree(Path(__file__).parent / name, target / name, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithDefinitions})
