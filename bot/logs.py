"""The service log: one format, and no full ID number in any line, whatever a message or traceback holds."""

import logging

from storage.ids import mask_id_numbers_in


class IdNumbersMasked(logging.Filter):
    """Formats each record's message (and traceback) once, with every ID number in it masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = mask_id_numbers_in(record.getMessage()), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_id_numbers_in(logging.Formatter().formatException(record.exc_info))
        return True


# Libraries that narrate every step at INFO: a certificate's render is seven lines of WeasyPrint's progress.
QUIET_LOGGERS = ("weasyprint.progress", "fontTools")


def configure_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(IdNumbersMasked())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
