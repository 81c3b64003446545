"""iota's command line, options and graph assembly."""
import logging


class _WithoutGcpClientNotice(logging.Filter):
    """Beam warns at import time that Google Cloud client libraries are missing; iota uses none."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "apitools not found" not in record.getMessage()


logging.getLogger().addFilter(_WithoutGcpClientNotice())
