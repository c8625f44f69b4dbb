# remelt: one image for the web process (gunicorn), the Celery worker and Celery beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    REMELT_VAR_DIR=/srv/remelt/var

WORKDIR /srv/remelt/app
# var/ and the checkpoint signer's state directory (a volume of its own in docker-compose.yml,
# which takes this directory's owner when it is first created).
RUN useradd --system --home /srv/remelt remelt \
    && mkdir -p /srv/remelt/var /srv/remelt/signer && chown remelt /srv/remelt/var /srv/remelt/signer

COPY pyproject.toml manage.py ./
COPY config ./config
COPY accounts ./accounts
COPY ledger ./ledger
COPY passports ./passports
COPY verifier ./verifier
COPY witness ./witness
RUN pip install --no-cache-dir . \
    && DEBUG=false SECRET_KEY=collectstatic-only LEDGER_SIGNING_KEY= python manage.py collectstatic --no-input -v 0 \
    && chown -R remelt /srv/remelt/var

USER remelt
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--config", "python:config.gunicorn"]
