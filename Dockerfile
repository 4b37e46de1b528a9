# The bot's webhook process (the Procfile's `web`) as a container image, for Fly.io, Koyeb, Render and
# Railway, which build a Dockerfile at the repository root when there is one.
#   docker build -t loan-faq-bot . && docker run -e TELEGRAM_BOT_TOKEN=... -e WEBHOOK_URL=... -p 8080:8080 loan-faq-bot
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8080

WORKDIR /app

# Dependencies first, from the lock, so that this layer is rebuilt only when requirements.txt changes.
COPY requirements.txt ./
RUN pip install -r requirements.txt

# The application: the engine, the front ends and the knowledge base (see .dockerignore for what is left out).
COPY . .

# The project's bytecode, compiled once here: PYTHONDONTWRITEBYTECODE keeps Python from writing it at run
# time, so without it every start would compile the project's modules again (~0.1 s of CPU).
RUN python -m compileall -q faq bot

# Run as an unprivileged user; it owns data/ (the SQLite usage log when DATABASE_URL is not set).
RUN useradd --system --create-home --uid 10001 bot && mkdir -p data && chown bot:bot data
USER bot
# Build the engine's cache now (analysed examples, trained weights, n-gram model; keyed by the knowledge
# base and the code), so that every container starts from it (~0.5 s) instead of building it (~1.3 s).
# It also refuses an image whose intents.yaml has errors.
RUN python -m faq check > /dev/null
# And OpenCC's merged dictionaries (faq/converters.py, ~2 MB), which a process would otherwise
# build on its first Traditional reply; without it the stock converters serve (the same text, more memory).
RUN python -c "from faq import converters; converters.prepare()"

EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8080'), timeout=4)"]

CMD ["python", "-m", "bot", "--mode", "webhook"]
