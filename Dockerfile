# syntax=docker/dockerfile:1

# Build: a static binary, so the runtime image needs no libc. The image sets
# GOTOOLCHAIN=local, so it must be at least the patch release go.mod names;
# if the build says the toolchain is too old, rebuild with --pull.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.Version=${VERSION}" -o /out/xuetang ./cmd/xuetang \
 && mkdir /out/data

# Run: distroless, no shell, no package manager, user nonroot (65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/xuetang /usr/local/bin/xuetang
# A named volume mounted here starts as a copy of this directory, ownership
# included, so the non-root user can write to it. A bind mount must be made
# writable for uid 65532 by whoever creates it.
COPY --from=build --chown=65532:65532 /out/data /data
ENV XUETANG_ADDR=0.0.0.0:8080 \
    XUETANG_DATA_DIR=/data
USER 65532:65532
VOLUME ["/data"]
EXPOSE 8080
# No HEALTHCHECK: the image has no shell or curl. Orchestrators probe
# GET /healthz (liveness) and GET /readyz (database and sessions reachable).
ENTRYPOINT ["/usr/local/bin/xuetang"]
CMD ["serve"]
