# crossgate's container image: a static binary on distroless, as non-root.
#
#   docker build -t crossgate \
#     --build-arg VERSION="$(git describe --tags --always)" --build-arg REVISION="$(git rev-parse HEAD)" .
#   docker run --rm -p 8080:8080 crossgate            # the gateway on the bundled policy, echo upstream
#   docker run --rm crossgate version
#   docker run --rm -p 8080:8080 -v "$PWD/my-policy.yaml:/etc/crossgate/crossgate.yaml:ro" crossgate
#
# The build line below is the one cmd/crossgate's TestDockerfileBuild runs
# (CGO off, -trimpath, static: no ELF interpreter, no dynamic section).

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The source tree has no .git here (.dockerignore): the version and the
# revision come from the build arguments instead of the VCS stamp.
ARG VERSION=""
ARG REVISION=""
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags="-s -w -X github.com/crossgate/crossgate/internal/cli.version=${VERSION} -X github.com/crossgate/crossgate/internal/cli.revision=${REVISION}" -o /out/crossgate ./cmd/crossgate

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/crossgate /usr/local/bin/crossgate
COPY deploy/docker/crossgate.yaml /etc/crossgate/crossgate.yaml
# distroless's "nonroot" user.
USER 65532:65532
# 8080: the gateway; 9090: /metrics, /healthz, /readyz and /admin (keep it
# off the public network).
EXPOSE 8080 9090
ENTRYPOINT ["/usr/local/bin/crossgate"]
CMD ["proxy", "--config", "/etc/crossgate/crossgate.yaml"]
