"""The second-opinion evaluation on hand-made rows: its figures against scikit-learn, what
each rule may change, and the verdict that decides whether the LLM is combined at all."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, precision_score

from triage.assist.service import in_grey_zone
from triage.evaluation.figures import OUT_OF_SCOPE
from triage.llm.second_opinion_eval import (
    BASELINE,
    BETTER,
    CLASSIFIER,
    CONFIRM,
    CONFIRM_OVERRIDE,
    NO_GAIN,
    OVERRIDE,
    WORSE,
    SecondOpinionEvaluator,
    SecondOpinionReport,
    grey_zone_mask,
    mcnemar_exact,
    top_classes,
)

CLASSES = ["a", "b", "c"]
GREY = (0.3, 0.6)
# (probabilities, truth, routed by the model, the LLM's answer; "-" = not asked)
ROWS = [
    ([0.90, 0.05, 0.05], "a", True, "-"),  # confident, routed, right
    ([0.50, 0.40, 0.10], "a", False, "a"),  # grey, LLM confirms the right top-1
    ([0.50, 0.30, 0.20], "b", False, "b"),  # grey, LLM corrects the label
    ([0.40, 0.35, 0.25], "c", False, None),  # grey, LLM abstains
    ([0.55, 0.45, 0.00], "b", True, "a"),  # grey and already routed, both wrong
    ([0.20, 0.70, 0.10], "b", True, "-"),  # confident, routed, right
    ([0.35, 0.33, 0.32], OUT_OF_SCOPE, False, "a"),  # out of scope, LLM agrees with top-1
    ([0.10, 0.20, 0.70], "a", False, "-"),  # confident but not routed (novel), wrong
    ([0.30, 0.30, 0.40], "a", False, "b"),  # grey, LLM and classifier both wrong
    ([0.45, 0.45, 0.10], "b", False, "-"),  # grey, not asked; a tie goes to the first class
]


def _inputs() -> tuple[list[str], np.ndarray, np.ndarray, dict[int, str | None]]:
    probabilities = np.array([r[0] for r in ROWS])
    labels = [r[1] for r in ROWS]
    routed = np.array([r[2] for r in ROWS])
    answers = {i: r[3] for i, r in enumerate(ROWS) if r[3] != "-"}
    return labels, probabilities, routed, answers


def _report() -> SecondOpinionReport:
    labels, probabilities, routed, answers = _inputs()
    evaluator = SecondOpinionEvaluator(classes=CLASSES, grey_zone=GREY)
    return evaluator.evaluate(
        labels=labels, probabilities=probabilities, routed=routed, answers=answers
    )


def _expected(predicted: list[str], routed: np.ndarray) -> tuple[float, float, float | None]:
    labels = [r[1] for r in ROWS]
    accuracy = accuracy_score(labels, predicted)
    subset = np.flatnonzero(routed)
    precision = (
        precision_score(
            [labels[i] for i in subset], [predicted[i] for i in subset], average="micro"
        )
        if subset.size
        else None
    )
    return accuracy, float(routed.mean()), precision


def test_rules_against_scikit_learn() -> None:
    _, _, routed, answers = _inputs()
    report = _report()
    top1 = ["a", "a", "a", "a", "a", "b", "a", "c", "c", "a"]
    overridden = [answers.get(i) or top1[i] for i in range(len(ROWS))]
    confirmed = routed | np.array([answers.get(i) == top1[i] for i in range(len(ROWS))])
    expected = {
        CLASSIFIER: _expected(top1, routed),
        CONFIRM: _expected(top1, confirmed),
        OVERRIDE: _expected(overridden, routed),
        CONFIRM_OVERRIDE: _expected(overridden, confirmed),
    }
    assert list(report.rules) == [CLASSIFIER, CONFIRM, OVERRIDE, CONFIRM_OVERRIDE]
    for name, (accuracy, coverage, precision) in expected.items():
        rule = report.rules[name]
        assert rule.accuracy == pytest.approx(accuracy), name
        assert rule.coverage == pytest.approx(coverage), name
        assert rule.routed_precision == pytest.approx(precision), name
        assert rule.accuracy_gain == pytest.approx(accuracy - expected[CLASSIFIER][0]), name
        assert rule.coverage_gain == pytest.approx(coverage - expected[CLASSIFIER][1]), name
    # by hand: right are rows 0, 1, 5 (classifier), plus 2 with the override
    assert report.rules[CLASSIFIER].accuracy == pytest.approx(3 / 10)
    assert report.rules[OVERRIDE].accuracy == pytest.approx(4 / 10)
    # routed 0, 4, 5 (2 right); confirm adds 1 (right) and 6 (out of scope: wrong)
    assert report.rules[CLASSIFIER].routed_precision == pytest.approx(2 / 3)
    assert report.rules[CONFIRM].routed_precision == pytest.approx(3 / 5)


def test_confirm_only_routes_unrouted_rows_where_the_llm_picks_the_top_1() -> None:
    report = _report()
    confirm = report.rules[CONFIRM]
    # rows 1 and 6: grey, not routed, LLM == top-1; row 4 agrees too but was routed already
    assert (confirm.routed_added, confirm.routed, confirm.labels_changed) == (2, 5, 0)
    assert confirm.accuracy == report.rules[CLASSIFIER].accuracy


def test_override_changes_only_answered_grey_zone_rows_and_never_routing() -> None:
    report = _report()
    override = report.rules[OVERRIDE]
    # rows 2 (a → b) and 8 (c → b); abstention (3), agreement (1, 4, 6), unasked (9) unchanged
    assert (override.labels_changed, override.routed_added) == (2, 0)
    assert override.routed == report.rules[CLASSIFIER].routed
    both = report.rules[CONFIRM_OVERRIDE]
    assert (both.labels_changed, both.routed_added) == (2, 2)


def test_grey_zone_figures() -> None:
    grey = _report().in_grey_zone
    # grey rows: 1, 2, 3, 4, 6, 8, 9 (0.6 and above is out, 0.3 and above in)
    assert (grey.rows, grey.asked, grey.answered, grey.abstained) == (7, 6, 5, 1)
    assert grey.classifier_accuracy == pytest.approx(1 / 7)  # row 1
    # answered 1, 2, 4, 6, 8: classifier right on 1; LLM right on 1 and 2
    assert grey.classifier_accuracy_answered == pytest.approx(1 / 5)
    assert grey.llm_accuracy_answered == pytest.approx(2 / 5)
    assert grey.agreement == pytest.approx(3 / 5)  # 1, 4, 6
    assert grey.accuracy_when_agreeing == pytest.approx(1 / 3)
    assert grey.disagreed == 2
    assert (grey.classifier_right_when_disagreeing, grey.llm_right_when_disagreeing) == (0, 1)


def test_out_of_scope_rows_are_never_correct() -> None:
    evaluator = SecondOpinionEvaluator(classes=CLASSES, grey_zone=GREY)
    report = evaluator.evaluate(
        labels=[OUT_OF_SCOPE, OUT_OF_SCOPE],
        probabilities=np.array([[0.9, 0.05, 0.05], [0.5, 0.4, 0.1]]),
        routed=np.array([True, False]),
        answers={1: "a"},
    )
    for rule in report.rules.values():
        assert rule.accuracy == 0.0
        assert rule.routed_precision == 0.0
    assert report.in_grey_zone.accuracy_when_agreeing == 0.0
    with pytest.raises(ValueError, match="not a class"):
        SecondOpinionEvaluator(classes=[*CLASSES, OUT_OF_SCOPE], grey_zone=GREY)


def test_verdicts_and_the_rule_to_adopt() -> None:
    report = _report()
    # the classifier's routed precision 2/3 is the floor: confirm adds 1 right, 1 wrong (3/5)
    assert report.precision_floor == pytest.approx(2 / 3)
    assert report.rules[CLASSIFIER].gain == BASELINE
    assert report.rules[CONFIRM].gain == WORSE
    # One label fixed, none broken: a higher accuracy, but no evidence (p = 1).
    override = report.rules[OVERRIDE]
    assert (override.fixed, override.broken, override.accuracy_p_value) == (1, 0, 1.0)
    assert override.accuracy_gain == pytest.approx(0.1)
    assert override.gain == NO_GAIN
    assert report.rules[CONFIRM_OVERRIDE].gain == WORSE
    assert report.adopted is None
    assert report.primary_metric == "gain"
    assert report.primary == 0.0
    figures = report.to_json()
    assert figures["adopted"] is None
    assert figures["rules"][CONFIRM]["gain"] == WORSE
    assert figures["rules"][OVERRIDE]["fixed"] == 1


@pytest.mark.parametrize(
    ("fixed", "broken", "p_value"),
    [(0, 0, 1.0), (3, 2, 1.0), (1, 0, 1.0), (10, 0, 2 / 2**10), (8, 1, 2 * 10 / 2**9)],
)
def test_mcnemar_exact_p_values(fixed: int, broken: int, p_value: float) -> None:
    assert mcnemar_exact(fixed, broken) == pytest.approx(p_value)
    assert mcnemar_exact(broken, fixed) == pytest.approx(p_value)


def test_an_override_that_fixes_many_labels_is_better_and_adopted() -> None:
    evaluator = SecondOpinionEvaluator(classes=CLASSES, grey_zone=GREY)
    # Ten grey-zone rows the classifier gets wrong (top-1 "a", truth "b"), none routed.
    probabilities = np.array([[0.5, 0.4, 0.1]] * 10)
    labels = ["b"] * 10
    routed = np.zeros(10, dtype=bool)
    report = evaluator.evaluate(
        labels=labels,
        probabilities=probabilities,
        routed=routed,
        answers=dict.fromkeys(range(10), "b"),
    )
    override = report.rules[OVERRIDE]
    assert (override.fixed, override.broken) == (10, 0)
    assert override.accuracy_p_value == pytest.approx(2 / 2**10)
    assert override.gain == BETTER
    assert report.adopted == OVERRIDE and report.primary == pytest.approx(1.0)


def test_confirm_is_better_when_it_adds_only_right_rows() -> None:
    evaluator = SecondOpinionEvaluator(classes=CLASSES, grey_zone=GREY, target_precision=0.9)
    probabilities = np.array([[0.5, 0.4, 0.1], [0.1, 0.5, 0.4], [0.2, 0.2, 0.6]])
    labels = ["a", "b", "c"]
    routed = np.array([False, False, False])
    # The classifier routes nothing: the model's target precision is the floor.
    report = evaluator.evaluate(
        labels=labels, probabilities=probabilities, routed=routed, answers={0: "a", 1: "b"}
    )
    assert report.precision_floor == 0.9
    assert report.rules[CONFIRM].gain == BETTER
    assert report.rules[OVERRIDE].gain == NO_GAIN  # the LLM only agreed
    assert report.adopted == CONFIRM
    assert report.primary == pytest.approx(2 / 3)
    # An override that makes a right label wrong is worse, whatever else it does.
    worse = evaluator.evaluate(
        labels=labels, probabilities=probabilities, routed=routed, answers={0: "b", 1: None}
    )
    assert worse.rules[OVERRIDE].gain == WORSE
    assert worse.rules[CONFIRM].gain == NO_GAIN
    assert (worse.adopted, worse.primary) == (None, 0.0)


def test_grey_zone_is_the_services_rule_and_answers_stay_inside_it() -> None:
    confidences = [0.0, 0.29999, 0.3, 0.45, 0.59999, 0.6, 1.0]
    probabilities = np.array([[c, c / 2] for c in confidences])  # c is the top-1
    mask = grey_zone_mask(probabilities, GREY)
    assert mask.tolist() == [in_grey_zone(c, GREY) for c in confidences]
    assert mask.tolist() == [False, False, True, True, True, False, False]
    assert top_classes(np.array([[0.2, 0.4, 0.4]]), CLASSES, row=0, k=2) == ["b", "c"]

    labels, probabilities, routed, _ = _inputs()
    evaluator = SecondOpinionEvaluator(classes=CLASSES, grey_zone=GREY)
    with pytest.raises(ValueError, match="not a grey-zone row"):
        evaluator.evaluate(
            labels=labels, probabilities=probabilities, routed=routed, answers={0: "a"}
        )
    with pytest.raises(ValueError, match="not a class"):
        evaluator.evaluate(
            labels=labels, probabilities=probabilities, routed=routed, answers={1: "z"}
        )
