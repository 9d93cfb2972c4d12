# syntax=docker/dockerfile:1
# Multi-stage build: a static binary on a minimal, non-root base image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=v0.0.0-dev
ARG COMMIT=unknown
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/alicloud-ccm/alicloud-ccm/cmd/cloud-controller-manager/command.gitVersion=${VERSION} -X github.com/alicloud-ccm/alicloud-ccm/cmd/cloud-controller-manager/command.gitCommit=${COMMIT}" \
      -o /out/cloud-controller-manager ./cmd/cloud-controller-manager

# distroless/static carries CA certificates (the CCM calls HTTPS endpoints) and
# runs as uid 65532. `make image` builds the same image without Docker
# (hack/image): keep the entrypoint, user and labels of the two in step (a test
# compares them).
FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=v0.0.0-dev
ARG COMMIT=unknown
ARG CREATED=1970-01-01T00:00:00Z
LABEL org.opencontainers.image.title="alicloud-ccm" \
      org.opencontainers.image.description="Kubernetes cloud-controller-manager for Alibaba Cloud" \
      org.opencontainers.image.source="https://github.com/alicloud-ccm/alicloud-ccm" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}" \
      org.opencontainers.image.created="${CREATED}"
COPY --from=build /out/cloud-controller-manager /cloud-controller-manager
USER 65532:65532
ENTRYPOINT ["/cloud-controller-manager"]
