"""The evaluation form, built per module: a 1-5 rating for each objective, lecture and speaker."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # new in WTForms 3.3, after the stubs
from wtforms.validators import InputRequired, Length

from coursesite.assessment.evaluation import (
    AGREEMENT_LABELS,
    RATING_LABELS,
    RATINGS,
    Answers,
    EvaluationItems,
)
from coursesite.assessment.models import ACCOMMODATION_NEEDS_MAX, EVALUATION_COMMENTS_MAX


def _scale(labels: dict[int, str]) -> list[SelectChoice]:
    return [SelectChoice(value, f"{value} – {labels[value]}") for value in RATINGS]


def rating_field(label: str, labels: dict[int, str] = RATING_LABELS) -> RadioField:
    return RadioField(label, choices=_scale(labels), coerce=int,
                      validators=[InputRequired("Choose a rating from 1 to 5.")])


class EvaluationForm(FlaskForm):
    """The questions about the whole module; :func:`evaluation_form` adds one rating per item."""

    relevance = rating_field("The content is relevant to my practice", AGREEMENT_LABELS)
    bias = RadioField("The content was free of commercial bias (no product, service or company was promoted)",
                      choices=[SelectChoice("yes", "Yes"), SelectChoice("no", "No")],
                      validators=[InputRequired("Answer yes or no.")])
    overall = rating_field("Overall, how would you rate this module?")
    comments = TextAreaField("Comments (optional): what worked, what should change, any bias you noticed",
                             validators=[Length(max=EVALUATION_COMMENTS_MAX,
                                                message=f"At most {EVALUATION_COMMENTS_MAX} characters.")],
                             render_kw={"maxlength": EVALUATION_COMMENTS_MAX, "rows": 5})

    item_keys: list[str]

    def answers(self) -> Answers:
        return Answers(
            ratings={key: self[key].data for key in self.item_keys},
            relevance=self.relevance.data, free_of_commercial_bias=self.bias.data == "yes",
            overall=self.overall.data, comments=self.comments.data or "",
        )


def evaluation_form(items: EvaluationItems) -> EvaluationForm:
    """A form class for this module's items (field names are the item keys), instantiated from the request."""

    class ModuleEvaluationForm(EvaluationForm):
        pass

    for item in items.objectives:
        setattr(ModuleEvaluationForm, item.key, rating_field(f"I can now: {item.label}", AGREEMENT_LABELS))
    for item in items.lectures:
        setattr(ModuleEvaluationForm, item.key, rating_field(item.label))
    for item in items.speakers:
        setattr(ModuleEvaluationForm, item.key, rating_field(item.label))
    form = ModuleEvaluationForm()
    form.item_keys = [item.key for group in (items.objectives, items.lectures, items.speakers) for item in group]
    return form


class AccommodationForm(FlaskForm):
    needs = TextAreaField(
        "What would help you take the test?",
        validators=[InputRequired("Describe the accommodation you need."),
                    Length(min=10, max=ACCOMMODATION_NEEDS_MAX,
                           message=f"Between 10 and {ACCOMMODATION_NEEDS_MAX} characters, please.")],
        render_kw={"maxlength": ACCOMMODATION_NEEDS_MAX, "rows": 6},
    )
