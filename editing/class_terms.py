"""Strokes keep the item's class: the model's classifier's cross-entropy against the class it reads
for the reference code joins the solver's objective (`class_term`), and a candidate the classifier
names another class ranks after every candidate that kept it (`class_penalty`). On a photo, every
image is read as the export would show it (`with_change`), as the sliders' hold reads it
(editing.keep)."""
from __future__ import annotations

from typing import Callable

import torch

from training.classifier import model_classifier

CLASS_PENALTY = 1000.0  # added to a stroke candidate's objective when it changed class: ranks it
# after every candidate that kept it (objectives are a few units at most)


def with_change(photo: torch.Tensor, start: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """images -> `photo` (1, C, R, R), as the model sees it, with each image's change from `start`
    (G of the photo's own code) added: what an export carries back, as the classifier should read it."""
    return lambda images: (photo + (images - start)).clamp(-1, 1)


def _reference_class(model, z_ref: torch.Tensor, draw, judged):
    """(the model's classifier, how it reads images, the class it reads for G(z_ref)), or None
    when the model has no classifier; see class_penalty."""
    classifier = model_classifier(model)
    if classifier is None:
        return None
    read = judged or (lambda images: images)
    with torch.no_grad():
        c0 = classifier(read((draw or model.decode)(z_ref.reshape(1, -1)))).argmax(1)
    return classifier, read, c0


def class_penalty(model, z_ref: torch.Tensor, weight: float = CLASS_PENALTY, draw=None, judged=None):
    """images (K, C, R, R) -> (K,) `weight` for each image the model's classifier names another
    class than G(z_ref)'s (drawn by `draw`, default model.decode: with a drag's offset, as the
    candidates are), for ranking solver candidates; None when the model has no classifier.
    `judged` (with_change): every image, G(z_ref)'s too, is read as the export would show it."""
    reference = _reference_class(model, z_ref, draw, judged)
    if reference is None:
        return None
    classifier, read, c0 = reference

    def penalty(images: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return weight * (classifier(read(images)).argmax(1) != c0).float()
    return penalty


def class_term(model, z_ref: torch.Tensor, draw=None, judged=None):
    """images (K, C, R, R) -> (K,) the model's classifier's cross-entropy against G(z_ref)'s class
    (drawn by `draw` and read through `judged`, as class_penalty; differentiable: the solver's
    class-keeping term); None when the model has no classifier."""
    reference = _reference_class(model, z_ref, draw, judged)
    if reference is None:
        return None
    classifier, read, c0 = reference

    def term(images: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.cross_entropy(classifier(read(images)), c0.expand(len(images)),
                                                 reduction="none")
    return term
