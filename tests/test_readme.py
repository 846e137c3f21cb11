"""Run the README's python code blocks in order, as a user would."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the tour writes event files where it runs
    text = README.read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 4
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)
    result = namespace["result"]
    # the tour's VEGAS estimate of sigma(ee -> mumu, 200 GeV) agrees with the analytic value
    exact = namespace["proc"].meta["total_cross_section"](200.0)
    assert abs(result.mean - exact) < 4 * result.sdev


def test_readme_commands_are_the_ci_commands():
    text = README.read_text()
    ci = (README.parent / ".ci" / "run").read_text()
    install, tests = re.findall(r"```bash\n(.*?)\n```", text, flags=re.S)[:2]
    assert "torch==2.13.0" in install.split("&&")[0]
    assert tests.strip() in ci
