"""The Dagster logger that hands a run's step starts and ends to the display of the refresh that launched it
(orchestration/progress.py)."""

import logging

from dagster import InitLoggerContext, logger

from orchestration import progress


class _StepHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_event", None)
        if event is not None and event.event_type_value in progress.STEP_EVENTS and event.step_key:
            progress.current().step(event.event_type_value, event.step_key)


@logger(description="Hands step starts and ends to the progress display of the refresh that launched the run.")
def progress_logger(init_context: InitLoggerContext) -> logging.Logger:
    forwarding = logging.Logger("innovation.progress", level=logging.DEBUG)
    forwarding.addHandler(_StepHandler())
    return forwarding
