#!/bin/sh
# Mutation testing of the booking core with mutmut 2 (requirements-mutation.txt).
#
#   proof/mutation.sh                      every core module (a missing one is skipped)
#   proof/mutation.sh scheduling/rules.py  one module
#
# mutmut rewrites the module it mutates, so this works on a copy of the checkout in a
# temporary directory and never touches the working tree. Each module runs only the tests
# that exercise it, on SQLite unless told otherwise, stopping at the first failure. Prints
# killed/total per module and the diff of every surviving mutant.
#
#   MUTATION_DATABASE_URL=postgres://USER@HOST:PORT/NAME
#                           run the tests on PostgreSQL instead, where the row locks, the lock
#                           timeout and the exclusion constraints are real (their tests skip on
#                           SQLite, so their mutants survive there). The tests create test_NAME
#                           once and reuse it for every mutant: give NAME to this run alone.
#   MUTATION_SHOW_LINES=N   print at most N lines of surviving diffs per module (default: all)
#   MUTATION_KEEP=1         keep the copy (its path is printed) to rerun or show mutants there:
#                           cd <copy> && mutmut show <id>; mutmut run <id>
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PY:-$ROOT/.venv/bin/python}
MUTMUT=${MUTMUT:-$ROOT/.venv/bin/mutmut}
MODULES=${*:-scheduling/availability.py scheduling/services.py scheduling/rules.py \
notifications/services/reminders.py recommendations/engine/scoring.py \
recommendations/engine/features.py attendance/features.py attendance/policy_simulation.py \
scheduling/manage_links.py scheduling/sessions.py}

tests_for() {
    case "$1" in
        scheduling/availability.py)
            echo scheduling/tests/test_availability.py scheduling/tests/test_availability_edges.py \
                scheduling/tests/test_dst.py ;;
        scheduling/services.py)
            echo scheduling/tests/test_services.py scheduling/tests/test_services_rules.py \
                scheduling/tests/test_services_transactions.py \
                scheduling/tests/test_lock_timeout.py scheduling/tests/test_row_locks.py ;;
        scheduling/rules.py)
            # Pure: its unit tests and the pure property test (the database one is slower
            # and asks the same rules through the services).
            echo scheduling/tests/test_rules.py \
                scheduling/tests/test_rules_properties.py::test_offered_slots_are_exactly_the_starts_refusal_accepts ;;
        notifications/services/reminders.py)
            echo notifications/tests/test_reminders.py notifications/tests/test_reminder_claims.py ;;
        scheduling/sessions.py)
            # Group sessions: who sees them, cancelling one, the minimum at the deadline.
            echo scheduling/tests/test_sessions.py scheduling/tests/test_sessions_pages.py ;;
        scheduling/manage_links.py)
            # Who a manage link lets in: the pages' tests and the emails that carry the links.
            echo web/tests/test_manage_by_link.py notifications/tests/test_emails.py ;;
        recommendations/engine/scoring.py)
            # Pure engine tests only (no database): the selectors' and services' tests reach
            # the scoring through them and are slower.
            echo recommendations/tests/test_scoring_terms.py \
                recommendations/tests/test_engine_reasons.py \
                recommendations/tests/test_engine_client_timezone.py \
                recommendations/tests/test_engine_scoring.py \
                recommendations/tests/test_engine_guarantees.py \
                recommendations/tests/test_provider_preferences.py::test_an_avoided_provider_is_never_recommended_and_a_preferred_one_is_favoured \
                recommendations/tests/test_provider_preferences.py::test_a_preferred_provider_wins_an_otherwise_equal_time ;;
        recommendations/engine/features.py)
            # Pure: the feature tests first (exact values, then behaviour), then the ranking
            # tests that read features.
            echo recommendations/tests/test_engine_feature_values.py \
                recommendations/tests/test_engine_features.py \
                recommendations/tests/test_engine_client_timezone.py \
                recommendations/tests/test_scoring_terms.py \
                recommendations/tests/test_engine_scoring.py ;;
        attendance/features.py)
            # The pure edge tests first, then the exact values and leakage read from the
            # database.
            echo attendance/tests/test_feature_edges.py attendance/tests/test_features.py ;;
        attendance/policy_simulation.py)
            # The exact-value tests of each policy's outcomes (the whole-clinic ones are slow
            # and check direction only).
            for name in without_policies_the_recorded_outcomes_stand \
                the_extra_reminder_saves_a_high_risk_no_show_with_its_draw \
                confirm_or_release_releases_the_unconfirmed_and_refills_from_the_waitlist \
                a_confirmation_before_the_deadline_keeps_the_appointment \
                time_released_without_a_refill_is_lost \
                held_out_are_the_finished_appointments_none_of_whose_rows_was_trained_on \
                held_facts_reminder_time_deadline_and_length \
                the_assumptions_default_to_the_products_settings_and_the_literature \
                a_draw_equal_to_its_chance_does_not_happen each_chance_reads_its_own_draw \
                rates_are_rounded_to_four_places_and_an_empty_clinic_has_none \
                the_report_has_every_scenario_on_the_same_draws \
                the_assumptions_and_facts_are_values; do
                printf 'attendance/tests/test_policy_simulation.py::test_%s ' "$name"
            done ;;
        *) echo "no tests listed for $1" >&2; exit 2 ;;
    esac
}

SHOW_LINES=${MUTATION_SHOW_LINES:-}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/smartbook-mutation.XXXXXX")
if [ -n "${MUTATION_KEEP:-}" ]; then
    echo "working copy kept in $WORK"
else
    trap 'rm -rf "$WORK"' EXIT
fi
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$ROOT" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | tar -xf - -C "$WORK"
else
    tar -C "$ROOT" --exclude=./.venv --exclude=.mutmut-cache -cf - . | tar -xf - -C "$WORK"
fi
cd "$WORK"

for module in $MODULES; do
    if [ ! -f "$module" ]; then
        echo "$module: not in this checkout, skipped"
        continue
    fi
    tests=$(tests_for "$module")
    existing=""
    for t in $tests; do [ -f "${t%%::*}" ] && existing="$existing $t"; done
    rm -f .mutmut-cache
    if [ -n "${MUTATION_DATABASE_URL:-}" ]; then
        database="DATABASE_URL=$MUTATION_DATABASE_URL"
        # A fresh test database for this checkout's migrations, then reused by every mutant.
        env "$database" "$PY" -m pytest -q -p no:cacheprovider --create-db $existing \
            >"$WORK/baseline.log" 2>&1 || { cat "$WORK/baseline.log"; exit 1; }
        reuse=" --reuse-db"
    else
        database="-u DATABASE_URL"
        reuse=""
    fi
    # mutmut 2 counts only exit status 1 as "tests failed"; a mutant that breaks the import
    # makes pytest exit 2 and would pass for a survivor. The runner maps every failure to 1.
    # mutmut's own timeout kills the shell but not its pytest, so a mutant that loops for ever
    # would keep a core busy: the runner stops its tests itself after MUTATION_TEST_TIMEOUT
    # seconds (default 300), which fails them (the mutant counts as killed).
    printf '#!/bin/sh\ntimeout %s env %s SMARTBOOK_RULES_EXAMPLES=150 %s -m pytest -x -q -p no:cacheprovider%s%s || exit 1\n' \
        "${MUTATION_TEST_TIMEOUT:-300}" "$database" "$PY" "$reuse" "$existing" >"$WORK/run-tests.sh"
    # Exit status 2/4/8 only means survivors or timeouts: the figures below say which.
    "$MUTMUT" run --paths-to-mutate "$module" --tests-dir . \
        --runner "sh $WORK/run-tests.sh" \
        >"$WORK/mutmut.log" 2>&1 || [ $? -ge 2 ] || { cat "$WORK/mutmut.log"; exit 1; }
    killed=$("$MUTMUT" result-ids killed | wc -w)
    survived=$("$MUTMUT" result-ids survived | wc -w)
    timeout=$("$MUTMUT" result-ids timeout | wc -w)
    suspicious=$("$MUTMUT" result-ids suspicious | wc -w)
    total=$((killed + survived + timeout + suspicious))
    # "Suspicious" mutants were killed (their tests failed), only more slowly than the baseline
    # run, which happens on a loaded machine: they count as killed.
    score=$("$PY" -c "print(f'{100 * ($killed + $timeout + $suspicious) / max($total, 1):.1f}')")
    echo "$module${MUTATION_DATABASE_URL:+ (PostgreSQL)}: $score% killed ($killed killed, $suspicious killed slowly, $timeout timed out," \
        "$survived survived, of $total)"
    survivors=$("$MUTMUT" result-ids survived)
    if [ -n "$survivors" ]; then
        echo "surviving mutant ids: $survivors"
        for id in $survivors; do
            echo "--- mutant $id"
            "$MUTMUT" show "$id"
        done | if [ -n "$SHOW_LINES" ]; then head -n "$SHOW_LINES"; else cat; fi
    fi
done
