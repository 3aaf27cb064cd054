"""Print one of the README's two fresh-machine commands: `score` (the first sh block) or `tests` (the second).

.ci/run runs the `tests` one as written; tests/test_layout.py checks both are where this finds them."""
import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
WHICH = {"score": 0, "tests": 1}


def readme_commands(text: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", text, re.S)]


if __name__ == "__main__":
    blocks = readme_commands(README.read_text(encoding="utf-8"))
    command = blocks[WHICH[sys.argv[1]]]
    if "\n" in command:
        sys.exit(f"README.md: the {sys.argv[1]} command must be one line, found:\n{command}")
    print(command)
