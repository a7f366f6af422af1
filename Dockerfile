# reconciler controller: continuous reconciliation from git (docs/controller.md, docs/deploying.md).
#   docker build -t reconciler .
#   docker run --rm -p 8080:8080 -e CADENYA_API_KEY reconciler \
#     --repo https://github.com/your-org/schedules.git --ref main --path bundles/ \
#     --workdir /var/lib/reconciler --listen 0.0.0.0:8080
# The flags are all given on the command line (no CMD: arguments to `docker run` would replace it whole).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# git: the controller fetches the watched repository with the git command; ca-certificates: https remotes
# and the platforms' APIs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git ca-certificates \
    && rm -rf /var/lib/apt/lists/*

# The base install (no sandbox or test extras), pinned by the lock the tests passed with.
WORKDIR /src
COPY pyproject.toml constraints.txt README.md LICENSE ./
COPY reconciler ./reconciler
RUN python -m pip install --no-cache-dir --constraint constraints.txt . \
    && rm -rf /src

# A user of its own, by number, so Kubernetes' runAsNonRoot can verify it. The git working copy lives in
# /var/lib/reconciler (--workdir); on Kubernetes that is an emptyDir under a read-only root filesystem.
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/reconciler --create-home \
    --shell /usr/sbin/nologin reconciler
WORKDIR /var/lib/reconciler
USER 10001:10001

EXPOSE 8080
ENTRYPOINT ["reconciler", "controller"]
