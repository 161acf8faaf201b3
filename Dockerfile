# syntax=docker/dockerfile:1
# Build: docker build -t studybot --build-arg VERSION=$(git describe --tags --always) \
#          --build-arg COMMIT=$(git rev-parse --short HEAD) .
# Run:   docker run -d -v studybot-data:/data -e STUDYBOT_DISCORD_ENABLED=true \
#          -e STUDYBOT_DISCORD_TOKEN=... -e STUDYBOT_DISCORD_APP_ID=... studybot
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# .dockerignore leaves .git out, so the toolchain cannot stamp the commit:
# the build arguments carry version and commit into `studybot version` and
# studybot_build_info.
ARG VERSION=dev
ARG COMMIT=
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" -o /out/studybot ./cmd/studybot \
 && mkdir -p /out/data

FROM scratch
# CA roots for HTTPS to Discord and Slack; zones are built into the binary (time/tzdata).
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
COPY --from=build /out/studybot /studybot
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV STUDYBOT_DATABASE_PATH=/data/studybot.db \
    STUDYBOT_HTTP_LISTEN=:8080
VOLUME /data
# /healthz, /readyz and /metrics; the HTTP modes' endpoints too.
EXPOSE 8080
# Liveness only: a Discord or Slack outage does not make the container
# unhealthy (see /readyz for that). The image has no shell, so the binary checks.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["/studybot", "healthcheck"]
ENTRYPOINT ["/studybot"]
CMD ["run"]
