FROM python:3.11-slim
WORKDIR /app
# Exactly the runtime lock's versions (README, Dependencies), then the project without
# dependencies: the lock's layer is kept while only the code changes.
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock
COPY pyproject.toml README.md ./
COPY graph_service ./graph_service
# The Cypher statements ship in the package as graph_service.cypher (see pyproject.toml).
COPY queries/cypher ./queries/cypher
RUN pip install --no-cache-dir --no-deps .
ENV GRAPH_SERVICE_DATA_DIR=/data \
    GRAPH_SERVICE_HOST=0.0.0.0 \
    GRAPH_SERVICE_PORT=8000
VOLUME ["/data"]
EXPOSE 8000
CMD ["graph-service", "serve"]
