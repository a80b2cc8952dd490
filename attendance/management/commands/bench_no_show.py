import json
import statistics
import tempfile
import time as clock
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from attendance.features import feature_frame, training_targets
from attendance.generator import generate_clinic
from attendance.learning import train_and_evaluate
from attendance.services import risk_scores_update
from attendance.simulation import generated_clinic_write
from attendance.training import no_show_train
from scheduling.models import Appointment


class Rollback(Exception):
    pass


def _timed(function):
    started = clock.perf_counter()
    value = function()
    return value, clock.perf_counter() - started


class Command(BaseCommand):
    help = (
        "Scoring a day's appointments for N providers (median of runs, on the database, in a "
        "transaction that is rolled back) and training on M generated appointments."
    )

    def add_arguments(self, parser):
        parser.add_argument("--providers", type=int, default=50)
        parser.add_argument("--per-provider", type=int, default=12, help="Appointments a day.")
        parser.add_argument("--runs", type=int, default=7)
        parser.add_argument("--train-appointments", type=int, default=100_000)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        result = {**self._scoring(options), **self._training(options)}
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        self.stdout.write(
            f"Scoring {result['scored']} appointments of one day ({options['providers']} "
            f"providers, {result['history_rows']} past appointments of their clients): median "
            f"{result['scoring_median_ms']} ms, max {result['scoring_max_ms']} ms over "
            f"{options['runs']} runs\n"
            f"Training on {result['train_appointments']} appointments "
            f"({result['train_rows']} rows): features {result['features_s']} s, fit and "
            f"choose {result['fit_s']} s, total {result['training_total_s']} s "
            f"(winner {result['winner']}, held-out AUC {result['auc']})"
        )

    def _scoring(self, options) -> dict:
        result: dict = {}
        with (
            tempfile.TemporaryDirectory() as folder,
            override_settings(MODEL_ARTIFACT_DIR=Path(folder)),
        ):
            try:
                with transaction.atomic():
                    result = self._score_a_day(options)
                    raise Rollback
            except Rollback:
                pass
        return result

    def _score_a_day(self, options) -> dict:
        now = timezone.now()
        providers = options["providers"]
        clinic = generate_clinic(
            seed=11, appointments=providers * 160, providers=providers, services=6, days=180
        )
        shift = pd.Timestamp(now) - clinic.now
        ids = generated_clinic_write(clinic, label="bench", shift=shift.to_pytimedelta())
        no_show_train(seed=1)
        past = list(
            Appointment.objects.filter(pk__in=list(ids.values())).values(
                "client_id", "provider_id", "service_id"
            )
        )
        rng = np.random.default_rng(3)
        day = (now + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
        provider_ids = sorted({row["provider_id"] for row in past})
        by_provider = {pk: [r for r in past if r["provider_id"] == pk] for pk in provider_ids}
        used_clients: set[int] = set()
        rows = []
        for provider_id in provider_ids:
            for slot in range(options["per_provider"]):
                choices = [
                    r for r in by_provider[provider_id] if r["client_id"] not in used_clients
                ]
                if not choices:
                    break
                row = choices[int(rng.integers(len(choices)))]
                used_clients.add(row["client_id"])
                start = day + timedelta(minutes=40 * slot)
                rows.append(
                    Appointment(
                        client_id=row["client_id"],
                        provider_id=provider_id,
                        service_id=row["service_id"],
                        start=start,
                        end=start + timedelta(minutes=30),
                        blocked_start=start,
                        blocked_end=start + timedelta(minutes=30),
                    )
                )
        day_ids = [a.pk for a in Appointment.objects.bulk_create(rows)]
        risk_scores_update(appointment_ids=day_ids)  # loads the model once
        timings = [
            _timed(lambda: risk_scores_update(appointment_ids=day_ids))[1]
            for _ in range(options["runs"])
        ]
        return {
            "scored": len(day_ids),
            "history_rows": len(ids),
            "scoring_median_ms": round(statistics.median(timings) * 1000, 1),
            "scoring_max_ms": round(max(timings) * 1000, 1),
        }

    def _training(self, options) -> dict:
        started = clock.perf_counter()
        clinic = generate_clinic(seed=5, appointments=options["train_appointments"], providers=50)
        targets = training_targets(clinic.history)
        features, features_s = _timed(
            lambda: feature_frame(clinic.history, clinic.reminders, targets)
        )
        evaluation, fit_s = _timed(
            lambda: train_and_evaluate(features, targets["missed"].to_numpy(), targets["start"])
        )
        return {
            "train_appointments": int(len(clinic.history)),
            "train_rows": int(len(targets)),
            "features_s": round(features_s, 1),
            "fit_s": round(fit_s, 1),
            "training_total_s": round(clock.perf_counter() - started, 1),
            "winner": evaluation.model.kind,
            "auc": evaluation.metrics["auc"],
        }
