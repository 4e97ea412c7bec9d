"""`manage.py validate FILE...`: validate Istio config from YAML files, with no cluster at all."""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from validations.engine import validate
from validations.offline import load_files, settings_from_config, to_json, to_text


class Command(BaseCommand):
    help = (
        "Validate Istio and Gateway API objects read from YAML files as one cluster. "
        "Exit status: 0 no errors, 1 errors found, 2 nothing could be validated."
    )
    requires_system_checks: list[str] = []  # no database or URL checks: it runs anywhere

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--output", choices=("text", "json"), default="text")
        parser.add_argument(
            "--namespace", default="default", help="namespace of objects without one"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        flags, mesh_overrides = settings_from_config(settings.KIALI)
        loaded = load_files(options["files"], options["namespace"], flags, mesh_overrides)
        for problem in loaded.problems:
            self.stderr.write(str(problem))
        records = validate(loaded.context)
        if not records:
            self.stderr.write("nothing to validate")
            sys.exit(2)
        self.stdout.write(to_json(records) if options["output"] == "json" else to_text(records))
        if any(c.severity == "error" for r in records for c in r.checks):
            sys.exit(1)
