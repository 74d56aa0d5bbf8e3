# modelgate as a container: a static binary on a distroless base, run as
# the non-root user 65532. 'make image' builds the same image without a
# daemon (scripts/image.sh); this file is for builders that have one.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# modelgate and, beside it, the KMS plugins its cloud keys sign through.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/ ./cmd/...

FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/ /
USER 65532:65532
ENTRYPOINT ["/modelgate"]
