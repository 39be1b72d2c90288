"""Edit > Tune generator to photo: pivotal tuning (inversion.tuning; Roich et al. 2021) in the editor.

After a photo is inverted (opened, or inverted again for another model) a copy of the generator is
tuned to it on the window's job runner, with progress and Cancel in the status bar; editing waits
meanwhile, as it does for the inversion. When it is done the document keeps the tuned copy
(editor.state.Tuning) and it draws everything from then on: the canvas, the G(z) view, the quality
shown, strokes, warps, drags, exports (their recipes name the weights written beside them) and
animations, all through the window's `drawing_model`. Cancel keeps the untuned generator; nothing
is half applied.

The tuning runs on one torch thread (inversion.tuning.TUNE_THREADS, on its worker thread only):
on 2 shared cores two threads took 5-15 times as long.

The switch is remembered per kind of model in QSettings ("tune_generator/face", ...); unset, it is
on for face models and off for the others (inversion.tuning.tunes_by_default). Turning it off draws
with the model's own generator again, every edit kept; turning it on with a photo open draws with
the tuned generator the document has, or tunes one now.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, QSettings, QTimer
from PySide6.QtGui import QAction

from editor import session
from editor.jobs import Job
from editor.state import Document, Tuning
from inversion.framing import DomainSpec
from inversion.tuning import TuneConfig, on_threads, tune, tuned_copy, tuned_model, tunes_by_default
from training.modelfile import GANModel

TIP = ("Fine-tune a copy of the generator to the open photo (pivotal tuning), so that it draws the "
       "photo itself and edits keep the person. Runs once the model has found its picture of a photo, "
       "about {seconds} s on a 2-core CPU, with Cancel; sessions keep the tuned weights beside them. "
       "Off: the model's own generator draws, the edits kept.")
TUNE_NAME = "Tune generator to photo"  # the switch's name in the Edit menu
SAID_MS = 8000  # a tuning's end or its switch is said at least this long before a slider's note comes back
# (walkthrough 55: the note, said again as the picture was drawn with the other generator, hid "Tuning off"
# at once)
SECONDS_PER_STEP = 0.045  # a face model's tuning step from 16 px on, one thread, two trainings
# at nice 19 on the 2 cores (benchmarks/results/real_photos.md: 6.6 s for 150 steps; every layer
# tuned took 0.06 with one other program: generator_tuning_astronaut.md)


class GeneratorTuning(QObject):
    """The switch (a checkable action in the Edit menu) and the tuning jobs of one window."""

    def __init__(self, window, settings: QSettings, cfg: TuneConfig):
        super().__init__(window)
        self.window, self.settings, self.cfg = window, settings, cfg
        self.busy_with: Document | None = None  # the document whose tuning job runs
        self.waiting: Document | None = None  # turned on while another job ran: tune after it
        self.action = QAction(f"&{TUNE_NAME}", window)
        self.action.setCheckable(True)
        tip = TIP.format(seconds=max(1, round(cfg.steps * SECONDS_PER_STEP)))
        self.action.setToolTip(tip)
        self.action.setStatusTip(tip)
        menu = window.menus.edit_menu
        menu.addSeparator()
        menu.addAction(self.action)
        menu.setToolTipsVisible(True)
        self.action.toggled.connect(self._toggled)
        window.jobs.finished.connect(self._job_ended)

    @property
    def enabled(self) -> bool:
        return self.action.isChecked()

    @staticmethod
    def setting(model: GANModel) -> str:
        return f"tune_generator/{DomainSpec.for_model(model.config).kind}"

    def follow_model(self, model: GANModel, doc: Document | None = None) -> None:
        """Show the switch as remembered for this kind of model (unset: its default), off for a
        document `doc` whose tuning was stopped (not_now)."""
        on = self.settings.value(self.setting(model), tunes_by_default(model), type=bool)
        self._show(on and not (doc is not None and doc.tuning is None and doc.tuning_stopped))

    def not_now(self, doc: Document) -> None:
        """`doc`'s tuning (or its inversion, before it) stopped: the switch shows off for it, the
        model's own generator draws it, and turning the switch on tunes it; the setting stays, for
        the next photo. (It stayed ticked over an untuned photo, and only off and on again tuned
        it: a walkthrough.)"""
        doc.tuning_stopped = True
        if doc is self.window.doc:
            self._show(False)

    def _show(self, on: bool) -> None:
        self.action.blockSignals(True)
        self.action.setChecked(on)
        self.action.blockSignals(False)

    def drawing_model(self, model: GANModel | None, doc: Document | None) -> GANModel | None:
        """The model that draws `doc`: with the switch on and a tuned generator, the tuned one."""
        return session.drawing_model(model, doc, self.enabled)

    def start(self, doc: Document | None) -> bool:
        """Tune a copy of the generator to the photo of `doc` (the window's document) on the job
        runner, if the switch is on and the document is a photo without a tuned generator yet;
        True if it started. Editing waits until it is done or cancelled."""
        w = self.window
        if (not self.enabled or doc is None or doc is not w.doc or doc.target is None
                or doc.tuning is not None or self.busy_with is doc):
            return False
        model, x, pivot, cfg, lpips = w.model, doc.target, doc.z0.clone(), self.cfg, w.lpips
        generator = tuned_copy(model)  # trained on the worker; the model's own stays untouched
        name = doc.photo_path.name if doc.photo_path else "the photo"

        def progress(step) -> None:
            w.statusBar().showMessage(f"Step {step.step} of {cfg.steps}: tuning the generator to {name}, so "
                                      f"that it draws the photo more closely")  # (the step first: a 1200 px
            # window cut the line after "more closely: st", walkthrough 55)

        def finish(step) -> None:
            self.busy_with = None
            doc.tuning = Tuning(tuned_model(model, generator), step.step, cfg.tune_from)
            w.set_editing_enabled(True)
            if doc is w.doc:
                w.redraw()
            w.menus.say_for(f"Generator tuned to {name}: edits now start from a picture much closer to "
                            f"the photo ({step.step} steps)", SAID_MS, stay=True)

        def stopped(_) -> None:
            self.busy_with = None
            self._judging(doc, False)
            self.not_now(doc)
            w.set_editing_enabled(True)
            w.menus.say_for("Tuning cancelled: the model draws the photo as trained, less like it "
                            f"(Edit > {TUNE_NAME} tunes it)", SAID_MS, stay=True)  # (walkthrough 50: "its own
            # generator" was jargon)

        self.busy_with = doc
        w.set_editing_enabled(False)
        self._judging(doc, True)
        w.statusBar().showMessage(f"Tuning the generator to {name}…")
        work = lambda: on_threads(tune(model, generator, x, pivot, lpips, cfg))  # noqa: E731
        w.jobs.run(Job(work, cfg.steps, on_done=finish, on_step=progress, on_cancel=stopped))
        return True

    def _judging(self, doc: Document, tuning: bool) -> None:
        """The quality line says the face's distance without a verdict while `doc` is tuned (a
        finished tuning draws with a meter of its own: redraw)."""
        meter = self.window.candidates_panel.meter
        if meter is not None and meter.tuning != tuning and doc is self.window.doc:
            meter.tuning = tuning
            self.window._show_quality(doc.current)  # (one judged on what lands: with its next frame)

    def _job_ended(self) -> None:
        """Any job ended (done, cancelled, failed, replaced): a tuning asked for meanwhile starts."""
        ended, self.busy_with = self.busy_with, None  # if it was the tuning, it is over; a new
        # tuning sets it again
        if ended is not None:  # after the job's own callbacks (the runner says it ended first):
            QTimer.singleShot(0, lambda: self._untuned(ended))  # one that failed left no tuning
        if self.waiting is not None:
            doc, self.waiting = self.waiting, None
            QTimer.singleShot(0, lambda: self.start(doc))  # after the ended job's own callbacks

    def _untuned(self, doc: Document) -> None:
        """A tuning of `doc` ended without a tuned generator and is not running again: stopped."""
        if doc.tuning is None and self.busy_with is not doc:
            self._judging(doc, False)  # (a tuning that failed left the quality line waiting for it)
            self.not_now(doc)

    def _toggled(self, on: bool) -> None:
        w = self.window
        if w.model is not None:
            self.settings.setValue(self.setting(w.model), on)
        doc = w.doc
        if doc is None:
            return
        doc.tuning_stopped = False  # turned on: tune it; off: as the setting says from now on
        if not on:
            self.waiting = None
            if self.busy_with is doc:
                w.jobs.cancel()  # its Cancel: the untuned generator stays
            w.redraw()
            w.menus.say_for("Tuning off: the model draws the photo as trained, less like it; the edits are "
                            f"kept (Edit > {TUNE_NAME} turns it back on)", SAID_MS, stay=True)
        elif doc.tuning is not None:
            w.redraw()
            w.menus.say_for("Tuning on: the model tuned to the photo draws it again", SAID_MS, stay=True)
        elif w.jobs.busy:
            self.waiting = doc  # an inversion, a stroke, a drag: tune when it is over
        else:
            self.start(doc)
