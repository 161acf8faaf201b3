# syntax=docker/dockerfile:1
# Build: docker build -t studybot .
# Run:   docker run -d -v studybot-data:/data -e STUDYBOT_DISCORD_ENABLED=true \
#          -e STUDYBOT_DISCORD_TOKEN=... -e STUDYBOT_DISCORD_APP_ID=... studybot
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=docker
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/studybot ./cmd/studybot \
 && mkdir -p /out/data

FROM scratch
# CA roots for HTTPS to Discord and Slack; zones are built into the binary (time/tzdata).
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
COPY --from=build /out/studybot /studybot
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV STUDYBOT_DATABASE_PATH=/data/studybot.db
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["/studybot"]
CMD ["run"]
