"""What `from grader import check` loads in a learner's kernel: every module it imports is time
before the first verdict (README, "Inline `check(N)` in a running kernel")."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("nbformat", "jsonschema", "ipywidgets", "grader.part2.questions", "grader.part2.echoes",
         "grader.part2.fallback", "grader.batch")


def _loaded_after(code: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", f"import sys\n{code}\nimport json\n"
         "print(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True, timeout=120)
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_a_part_1_check_loads_nothing_of_part_2_the_batch_grader_or_nbformat():
    loaded = _loaded_after("from grader import check\ncheck(2)")
    assert not {name for name in loaded if name.startswith(HEAVY)}


def test_part_2_loads_its_inputs_when_a_part_2_question_is_asked():
    loaded = _loaded_after("from grader.questions import GatherFacts, course_questions\n"
                           "[gather] = [q for q in course_questions('6') "
                           "if isinstance(q, GatherFacts)]\n"
                           "assert gather.asked.serving")
    assert "grader.part2.questions" in loaded
