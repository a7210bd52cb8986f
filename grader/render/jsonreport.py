"""report.json: the result model as JSON (schema in grader.results), for tools and re-rendering."""

from __future__ import annotations

import json

from grader.results import SubmissionResult


def render(result: SubmissionResult) -> str:
    return json.dumps(result.to_json_dict(), indent=2, ensure_ascii=False) + "\n"


def parse(text: str) -> SubmissionResult:
    return SubmissionResult.from_json_dict(json.loads(text))
