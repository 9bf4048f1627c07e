"""Shared pieces: model base, i18n, markdown, audit log, outbox, errors, forms, security."""
