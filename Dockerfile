# One image for the API and the worker (production setup: PostgreSQL + Qdrant server).
FROM python:3.11-slim-bookworm

RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       tesseract-ocr tesseract-ocr-deu tesseract-ocr-eng curl \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY triage ./triage
COPY models ./models
COPY prompts ./prompts
RUN pip install --no-cache-dir "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu \
    && pip install --no-cache-dir . \
    && python -m triage.modelbuild /app/models/multilingual-e5-small

RUN useradd --system --uid 10001 --home /app triage && mkdir -p /data && chown triage /data
USER triage
ENV TRIAGE_DATA_DIR=/data TRIAGE_HOST=0.0.0.0 HF_HUB_OFFLINE=1 TRIAGE_PROMPTS_DIR=/app/prompts
EXPOSE 8000
CMD ["triage", "serve", "--no-demo"]
