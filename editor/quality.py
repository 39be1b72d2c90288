"""What the editor tells the user about the quality of an edit, for the current picture and for each
stroke candidate, so that a user can see when an edit has gone too far. No Qt here.

- LPIPS against the photo as the model sees it (its framed, model-resolution image): how far the
  picture has moved from the photo; the reconstruction's own LPIPS before any edit.
- For a face model, the identity distance to the photo's face by dlib's descriptor (the metric;
  under 0.6 the same person by dlib's rule).
- The discriminator's realism score (its logit), beside the share of the model's own samples that
  score lower: an edit that scores below nearly all of them has left what the model knows.

And one plain warning when an edit has gone too far (`QualityMeter.warning`), judged against the
unedited reconstruction, so that a photo the model never reproduced well does not warn before any
edit: a face that was the photo's person and no longer is; a picture more than FAR_LPIPS further
from the photo than the reconstruction; one less realistic than all but UNREALISTIC of the model's
own samples (and than the reconstruction).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from inversion.framing import DomainSpec
from inversion.invert import poor_fit_limit
from training.modelfile import GANModel
from training.pixels import to_uint8

TYPICAL_SAMPLES = 256  # the model's own samples its realism scores are compared with
FAR_LPIPS = 0.1  # LPIPS to the photo, over the reconstruction's own, past which an edit has gone too
# far: face sliders at +-3 reach 0.12 at the median (0.22 at the 90th percentile) and smudge the face,
# at +-1.5 0.044 (0.095), most of them kept (walkthroughs); products 0.064 and 0.029. At 0.4 it never
# warned of a slider: a smudged Smiling -3 said nothing (benchmarks/results/quality_warning.md)
SLIGHTLY = 1.05  # a photo's reconstruction past the poor-fit limit by less than this factor is drawn
# "a little less well", not "poorly" (scikit-image's camera, 1.07 times the product model's, is no product)
UNREALISTIC = 0.02  # realism rank under which (and under the reconstruction's) an edit has gone too far
WARNINGS = {  # QualityMeter.too_far's rules, in the order they are said
    "identity": "Gone too far: by its face descriptor this is no longer the photo's person",
    "lpips": "Gone too far: the picture has moved far from the photo",
    "realism": f"Gone too far: less realistic than {100 * (1 - UNREALISTIC):.0f}% of the model's own "
               "pictures",
}


CLOSENESS = ((0.005, "unchanged from the photo"), (0.05, "close to the photo"),
             (0.15, "changed from the photo"), (math.inf, "much changed from the photo"))  # LPIPS to the
# photo, in words: under 0.005 no product stripe or slider step shows (the landed photo reads 0)
SAME_REALISM = 0.05  # realism ranks this close to the photo's read "as realistic as the photo"


def closeness(lpips: float) -> str:
    """LPIPS to the photo in words first, then the number (CLOSENESS): "close to the photo (0.031)"
    ("0.031 from the photo" meant nothing to walkthroughs 51 and 53)."""
    words = next((w for limit, w in CLOSENESS if lpips < limit), CLOSENESS[-1][1])  # (NaN: a review)
    return words if lpips < CLOSENESS[0][0] else f"{words} ({lpips:.3f})"


def realism_words(rank: float, photo_rank: float | None) -> str:
    """The realism rank in words, against the photo's own when there is one: "less realistic than
    the photo (ranked above 5% of the pictures the model draws; the photo: 18%)" ("more realistic
    than 0% of samples", unexplained, read as alarming: walkthrough 53; "less realistic than the
    photo (more realistic than 0% ...)" as a contradiction: walkthrough 54)."""
    share = f"{100 * rank:.0f}% of the pictures the model draws"  # (no apostrophe: Quality.summary)
    if photo_rank is None:
        return f"more realistic than {share}"
    if abs(rank - photo_rank) < SAME_REALISM:
        return f"as realistic as the photo (ranked above {share})"
    return (f"{'more' if rank > photo_rank else 'less'} realistic than the photo (ranked above {share}; "
            f"the photo: {100 * photo_rank:.0f}%)")


def beyond(value: float, limit: float) -> str:
    """`value`, past `limit`, with three decimals, or as many more as show it past (0.0704, not
    "0.070 ... under 0.07": walkthrough 48 read that as a contradiction)."""
    for digits in range(3, 7):
        text = f"{value:.{digits}f}"
        if float(text) > limit:
            return text
    return text


@dataclass(frozen=True)
class Quality:
    realism: float  # the discriminator's logit for the picture
    realism_rank: float  # share of the model's own samples that score lower, 0..1
    lpips: float | None = None  # against the photo in the model's domain; None without a photo
    identity: float | None = None  # face models: dlib distance to the photo's face

    def summary(self, photo_rank: float | None = None, tuning: bool = False, realism: bool = True) -> str:
        """In words first: "LPIPS 0.070 · identity distance 0.40 · realism -0.98, above 9% of
        samples" meant nothing to a new user (walkthrough); short enough that the line and a
        warning fit the room the panel keeps for them (the panel's tooltip says what each means).
        `photo_rank`, the photo's own realism rank, said beside this one: an untouched product
        photo read "more realistic than 5% of samples" and nothing said that the photo itself
        scores so (a walkthrough: it may alarm a user). No apostrophe: the panel shows it as
        escaped rich text, and tests compare the two. `tuning`: a generator is being tuned to the
        photo, and the face's distance is said as the untuned one's, without a verdict ("another
        person" while the tuning ran alarmed a walkthrough). `realism` False: the realism rank is not
        said (a photo the model draws poorly: QualityMeter.said)."""
        from inversion.faces import SAME_PERSON

        parts = []
        if self.lpips is not None:
            parts.append(closeness(self.lpips))
        if self.identity is not None and tuning:
            parts.append(f"face distance {self.identity:.2f} before the tuning to the photo")
        elif self.identity is not None:
            who = "the same person" if self.identity < SAME_PERSON else "another person"
            parts.append(f"{who} (face distance {self.identity:.2f}, the same under {SAME_PERSON:g})")  # the
            # bare number meant nothing to a walkthrough
        if realism or not parts:
            parts.append(realism_words(self.realism_rank, photo_rank))
        return " · ".join(parts)


_TYPICAL: dict[str, np.ndarray] = {}  # model id -> its samples' sorted realism scores


def typical_realism(model: GANModel) -> np.ndarray:
    """The sorted realism scores of TYPICAL_SAMPLES of the model's own samples (once per model),
    drawn by its generator as its folder holds it even when `model` draws with one tuned to a photo:
    whichever was measured first set the ranks, so a session reopened (tuned first) ranked the same
    picture 77% where the photo's first opening (untuned first) said 74% (walkthrough)."""
    if model.model_id not in _TYPICAL:
        from inversion.tuning import model_generator, tuned_model

        own = tuned_model(model, model_generator(model))  # the folder's own generator in place
        with torch.no_grad():
            _TYPICAL[model.model_id] = np.sort(
                model.critic(own.sample(TYPICAL_SAMPLES, seed=0)).numpy())
    return _TYPICAL[model.model_id]


class QualityMeter:
    """Measures pictures of one document: `target` (1, C, R, R) is the photo in the model's domain
    (None for a document started from a model sample); `lpips` an inversion.perceptual.LPIPS;
    `aligned`: the photo's face was found and aligned (identity is measured only then); `shown`
    (1, C, R, R), a model sample's document as the canvas shows it unedited, as the model sees it."""

    def __init__(self, model: GANModel, lpips, target: torch.Tensor | None,
                 start: torch.Tensor | None = None, aligned: bool = True, settled: bool = True,
                 shown: torch.Tensor | None = None):
        self.model, self.lpips, self.target, self.shown = model, lpips, target, shown
        self.settled = settled  # `start` is the code edits start from, not an inversion's first guess
        self.tuning = False  # a generator is being tuned to the photo (editor.tuning): said, not judged
        self.spec = DomainSpec.for_model(model.config)
        self.reference = None  # the photo's face descriptor: only for a face found and aligned (a
        # whole image given to a face model has no face where the descriptor looks)
        if target is not None and self.spec.kind == "face" and aligned:
            from inversion.faces import descriptors

            self.reference = descriptors(to_uint8(target), self.spec.face_box)[0]
        self.typical = typical_realism(model)
        # The unedited reconstruction (code `start`), what the warnings compare with; the photo
        # itself, what they compare a picture that lands on it with (measured when first asked).
        self.start, self._start_code, self._photo = None, None, None
        if start is not None:
            self.rebase(start)

    def rebase(self, start: torch.Tensor) -> None:
        """Judge against the reconstruction of code `start` from now on (the inversion refined the
        document's z0 after the meter was made: the encoder's first guess is a poorer baseline)."""
        if self._start_code is None or not torch.equal(self._start_code, start):
            self._start_code = start.detach().clone()
            self.start = self.measure_code(start)

    def photo(self) -> Quality | None:
        """The photo itself as the model sees it, measured (LPIPS 0): what a picture that lands on
        it is compared with, the edit's frame on screen rather than the generator's picture
        (editor.render.as_model_sees_it). A document started from a model sample has no photo but
        the sample: as the canvas shows it, as the model sees it (`shown`), else its reconstruction
        (`start`). (Walkthrough 52: a poor sample's frame, measured so, scored under 1% of the model's
        own pictures and its reconstruction 33%: every edit of it said "Gone too far", before any too.)"""
        if self.target is None and self.shown is None:
            return self.start
        if self._photo is None:
            self._photo = self.measure(self.shown if self.target is None else self.target)[0]
        return self._photo

    def poor_fit(self, short: bool = False) -> str | None:
        """What to tell the user when the model's unedited picture of the photo lies further than
        poor_fit_limit from it (POOR_FIT for the product model; for a model whose encoder recorded
        its held-out images', from theirs): the photo is not what the model draws, and edits may
        look broken (a walkthrough edited a cup and a cat with the product model into grey boots and
        square rims, and nothing said it knows clothes, shoes and bags only; another opened a bag
        with a model of a folder of face photos); `short`, for the quality panel. None otherwise,
        and for faces (the quality line says whether it is the photo's person), and before the
        inversion has settled the code the meter judges from (`settled`)."""
        limit = poor_fit_limit(self.model, self.spec.kind)
        if limit is None or self.target is None or self.start is None or not self.settled:
            return None
        if self.start.lpips is None or self.start.lpips <= limit:
            return None
        far = beyond(self.start.lpips, limit)
        slight = self.start.lpips < SLIGHTLY * limit  # (walkthrough 49: "poorly ... 0.0701 (... under 0.07)"
        how, some = ("a little less well than its training images", "some ") if slight else ("poorly", "")
        if short:  # (beside "Now: unchanged from the photo", whose picture it is: a walkthrough)
            return (f"{self.model.name} draws this photo {how} ({far} from its own picture, where its "
                    f"training images lie under {limit:g}): {some}edits may look broken")
        return f"{self.model.name} draws this photo {how}, so {some}edits may look broken"  # (walkthrough
        # 56: ": compare its own picture, above the sliders, with the photo" ran past a 1200 px window)
        # (what it means first: a window 1200 px wide cut the status bar's line before it, walkthrough 52;
        # the distances in the quality line only: "its own picture of it lies 0.0701 from it (photos like its
        # training images: under 0.07)" read as jargon, walkthrough 54)

    def said(self, q: Quality) -> str:
        """The summary of `q` as the editor says it, with the photo's own realism rank beside its
        own where there is a photo (Quality.summary); no realism rank for a photo the model draws
        poorly (poor_fit): "more realistic than 97% of samples" of a bag, beside the line saying a
        model of faces draws it poorly, read as a contradiction (walkthrough 47; the discriminator
        knows nothing of pictures so far from its training images)."""
        return q.summary(None if self.target is None else self.photo().realism_rank, self.tuning,
                         realism=self.poor_fit() is None)

    def too_far(self, q: Quality, hair: bool = False, landed: bool = False, painted: bool = False,
                kind: bool = False) -> list[str]:
        """The rules by which the picture measured `q` has gone too far, in WARNINGS' order:
        "identity", "lpips", "realism", against the unedited reconstruction, or with `landed` (`q`
        measured what lands on the photo) against the photo itself (its LPIPS 0: against the
        reconstruction's, a stripe on a product could move 0.03-0.08 further before a warning).
        `hair`: the edit moves a hair colour slider
        (editing.landing.moves_hair), which changes much of a face's picture by design: the LPIPS
        rule warned of half the hair colour edits at +-1.5 on tuned faces, beside "the same person"
        (benchmarks/results/quality_warning.md; a walkthrough); where the face's identity is
        measured (and the reconstruction was the photo's person), that rule judges them instead.
        `painted`: `q` measured what lands of colour strokes kept within their bands
        (editing.landing.lands_in_bands): the change there is what the user painted, and how far it
        moved the picture from the photo is no fault (the LPIPS rule called 11 of 16 black strokes
        across products "Gone too far" once they came out black); the realism rule judges them.
        `kind`: the edit asks for another kind of item (editing.slider_notes.asks_kind), far from the
        photo by design: the realism rule judges it too.
        While a tuning runs the identity rule waits, as the quality line does (`tuning`): the
        untuned generator's face is often another person before any edit (a review)."""
        from inversion.faces import SAME_PERSON

        start, out = self.photo() if landed else self.start, []
        judged_by_identity = not self.tuning and q.identity is not None and (
            start is None or start.identity is None or start.identity < SAME_PERSON)
        if judged_by_identity and q.identity >= SAME_PERSON:
            out.append("identity")
        own = start.lpips if start is not None and start.lpips is not None else 0.0
        if (q.lpips is not None and q.lpips > FAR_LPIPS + own and not (hair and judged_by_identity)
                and not (painted and landed) and not kind):
            out.append("lpips")
        if q.realism_rank < UNREALISTIC and (start is None or start.realism_rank >= UNREALISTIC):
            out.append("realism")
        return out

    def warning(self, q: Quality, hair: bool = False, landed: bool = False, painted: bool = False,
                kind: bool = False) -> str | None:
        """One sentence when the picture measured `q` has gone too far from the photo (the first
        rule too_far names; `hair`, `landed`, `painted` and `kind` as there), else None."""
        rules = self.too_far(q, hair, landed, painted, kind)
        return WARNINGS[rules[0]] if rules else None

    @torch.no_grad()
    def measure(self, images: torch.Tensor) -> list[Quality]:
        """Quality of pictures (K, C, R, R) in [-1, 1]."""
        realism = self.model.critic(images).numpy()
        rank = np.searchsorted(self.typical, realism) / len(self.typical)
        lpips = identity = [None] * len(images)
        if self.target is not None and self.lpips is not None:
            lpips = self.lpips(images, self.target.expand_as(images)).flatten().tolist()
        if self.reference is not None:
            from inversion.faces import descriptors, identity_distance

            identity = identity_distance(descriptors(to_uint8(images), self.spec.face_box),
                                         self.reference).tolist()
        return [Quality(float(r), float(k), lp, i) for r, k, lp, i in zip(realism, rank, lpips, identity)]

    def measure_code(self, z: torch.Tensor, offset=None) -> Quality:
        """Quality of the picture of code z (D,), drawn with a drag's feature offset if any."""
        from editing.offset import drawing

        with torch.no_grad():
            return self.measure(drawing(self.model, offset)(z.reshape(1, -1)))[0]
