"""The file outbox of `make run`: mail the tracker would have sent, shown in the UI when no SMTP server is set."""
