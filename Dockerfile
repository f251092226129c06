FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY graph_service ./graph_service
# The Cypher statements ship in the package as graph_service.cypher (see pyproject.toml).
COPY queries/cypher ./queries/cypher
RUN pip install --no-cache-dir .
ENV GRAPH_SERVICE_DATA_DIR=/data \
    GRAPH_SERVICE_HOST=0.0.0.0 \
    GRAPH_SERVICE_PORT=8000
VOLUME ["/data"]
EXPOSE 8000
CMD ["graph-service", "serve"]
