# modelgate as a container: a static binary on a distroless base, run as
# the non-root user 65532. 'make image' builds the same image without a
# daemon (scripts/image.sh); this file is for builders that have one.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/modelgate ./cmd/modelgate

FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/modelgate /modelgate
USER 65532:65532
ENTRYPOINT ["/modelgate"]
