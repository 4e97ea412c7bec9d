#!/usr/bin/env bash
# Build a real kube-apiserver v1.20.2 from Debian bookworm's `kubernetes` source package.
#
# Why: no container runtime works on our CI and dev machines and no package ships a
# kube-apiserver binary, but Debian carries the full Kubernetes source with its dependencies
# vendored. Building it once gives tests and the demo a real API server (discovery, RBAC,
# Status errors, OIDC) instead of a fake we would have to keep faithful. See
# REAL-KUBERNETES.md for the facts behind each step.
#
# The binary is cached outside the repository and rebuilt only when missing. It is built
# under a temporary name and moved into place, so an interrupted build never leaves a
# half-written binary that later runs would trust.
#
# Usage: mesh/sim/build_apiserver.sh            (prints the binary's path on success)
# Env:   KIALI_SIM_CACHE   cache directory (default /var/cache/kiali-console)
#        KIALI_SIM_BUILD_JOBS  parallel compile jobs (default 2: the machines are shared)
#        KIALI_SIM_KEEP_BUILD=1  keep the temporary build tree for inspection
set -euo pipefail

readonly K8S_VERSION="1.20.2"
# bookworm's package: upstream 1.20.2 with vendor/, despite the "1.20.5" prefix.
readonly DEB_SOURCE_VERSION="1.20.5+really1.20.2-1.1+deb12u1"
readonly CACHE_DIR="${KIALI_SIM_CACHE:-/var/cache/kiali-console}"
readonly BINARY="${CACHE_DIR}/kube-apiserver-v${K8S_VERSION}"
readonly JOBS="${KIALI_SIM_BUILD_JOBS:-2}"
readonly DEB_SOURCES="/etc/apt/sources.list.d/debian.sources"
readonly REFLECT2_SRC="/usr/share/gocode/src/github.com/modern-go/reflect2"

log() { printf '[build_apiserver] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ -x "${BINARY}" ]]; then
    echo "${BINARY}"
    exit 0
fi

# apt needs root; use sudo when we are not root and it exists. Without either, only the
# steps that really need root (installing packages, adding deb-src) fail, with apt's error.
SUDO=()
if [[ "$(id -u)" -ne 0 ]] && command -v sudo >/dev/null; then
    SUDO=(sudo)
fi
apt_get() { "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "$@"; }

is_installed() {
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

# --- 1. Debian packages -------------------------------------------------------------------
readonly PACKAGES=(golang-go etcd-server dpkg-dev golang-github-modern-go-reflect2-dev)
missing=()
for pkg in "${PACKAGES[@]}"; do
    is_installed "${pkg}" || missing+=("${pkg}")
done
if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    apt_get update -q
    apt_get install -y -q --no-install-recommends "${missing[@]}"
fi

# --- 2. deb-src entry for bookworm --------------------------------------------------------
# `apt-get source` needs a deb-src line. We copy the existing bookworm "deb" entry's mirror
# instead of naming one, so the script follows whatever registry the machine is set up with.
have_bookworm_src() {
    apt-cache showsrc kubernetes 2>/dev/null | grep -q '^Version: .*really1\.20\.2'
}
if ! have_bookworm_src; then
    if [[ -f "${DEB_SOURCES}" ]]; then
        if ! grep -Eq '^Types:.*deb-src' "${DEB_SOURCES}"; then
            log "adding a deb-src stanza for bookworm to ${DEB_SOURCES}"
            # The first stanza listing plain "bookworm" is the main archive; reuse its URIs,
            # components and keyring for the source stanza.
            stanza="$(awk '
                BEGIN { RS = ""; FS = "\n" }
                /(^|\n)Suites:[^\n]*bookworm( |$|\n)/ && !done { print; done = 1 }
            ' "${DEB_SOURCES}")"
            [[ -n "${stanza}" ]] || die "no bookworm stanza in ${DEB_SOURCES} to copy"
            src_stanza="$(printf '%s\n' "${stanza}" \
                | sed -e 's/^Types:.*/Types: deb-src/' -e '/^#/d')"
            printf '\n%s\n' "${src_stanza}" | "${SUDO[@]}" tee -a "${DEB_SOURCES}" >/dev/null
        fi
    elif [[ -f /etc/apt/sources.list ]]; then
        line="$(grep -E '^deb +[^ ]+ +bookworm +' /etc/apt/sources.list | head -n1 || true)"
        [[ -n "${line}" ]] || die "no bookworm deb line in /etc/apt/sources.list to copy"
        log "adding a deb-src line for bookworm"
        printf '%s\n' "deb-src${line#deb}" \
            | "${SUDO[@]}" tee /etc/apt/sources.list.d/kiali-bookworm-src.list >/dev/null
    else
        die "no apt sources found to derive a deb-src entry from"
    fi
    apt_get update -q
    have_bookworm_src || die "apt still offers no kubernetes 1.20.2 source package"
fi

# --- 3. Fetch and unpack the source -------------------------------------------------------
mkdir -p "${CACHE_DIR}" 2>/dev/null || "${SUDO[@]}" mkdir -p "${CACHE_DIR}"
BUILD_DIR="$(mktemp -d "${TMPDIR:-/tmp}/kube-apiserver-build.XXXXXX")"
cleanup() {
    if [[ "${KIALI_SIM_KEEP_BUILD:-0}" == 1 ]]; then
        log "keeping build tree ${BUILD_DIR}"
    else
        chmod -R u+w "${BUILD_DIR}" 2>/dev/null || true
        rm -rf "${BUILD_DIR}"
    fi
}
trap cleanup EXIT
log "build tree ${BUILD_DIR}"

cd "${BUILD_DIR}"
# Pin the version we know builds; fall back to the suite's current kubernetes source if a
# later stable update replaced it (still upstream 1.20.2, the "really" part checked above).
if ! apt-get source -q --only-source --download-only "kubernetes=${DEB_SOURCE_VERSION}" \
    >fetch.log 2>&1; then
    log "pinned ${DEB_SOURCE_VERSION} not available, taking bookworm's current kubernetes source"
    apt-get source -q --only-source --download-only kubernetes >fetch.log 2>&1 \
        || { cat fetch.log >&2; die "apt-get source kubernetes failed"; }
fi
dsc="$(ls ./*.dsc | head -n1)"
# dpkg-source applies debian/patches/series while unpacking (format 3.0 quilt).
dpkg-source --no-check -x "${dsc}" src >unpack.log 2>&1 \
    || { cat unpack.log >&2; die "dpkg-source -x failed"; }

# GOPATH mode, as upstream 1.20 built: the tree must be k8s.io/kubernetes under $GOPATH/src.
export GOPATH="${BUILD_DIR}/gopath"
mkdir -p "${GOPATH}/src/k8s.io"
mv src "${GOPATH}/src/k8s.io/kubernetes"
K8S="${GOPATH}/src/k8s.io/kubernetes"
cd "${K8S}"

# Should dpkg-source ever leave patches unapplied (or a source format without quilt), apply
# them ourselves so the result matches what Debian ships.
if [[ -f debian/patches/series && ! -s .pc/applied-patches ]]; then
    log "applying debian/patches/series"
    while read -r patch _; do
        [[ -z "${patch}" || "${patch}" == \#* ]] && continue
        patch -p1 --forward --silent <"debian/patches/${patch}"
    done <debian/patches/series
fi

# --- 4. Fix: reflect2 v1.0.1 corrupts memory under Go >= 1.18 ------------------------------
[[ -d "${REFLECT2_SRC}" ]] || die "missing ${REFLECT2_SRC} (golang-github-modern-go-reflect2-dev)"
rm -rf vendor/github.com/modern-go/reflect2
cp -rL "${REFLECT2_SRC}" vendor/github.com/modern-go/reflect2
rm -f vendor/github.com/modern-go/reflect2/go.mod

export GO111MODULE=off GOPROXY=off CGO_ENABLED=0 GOFLAGS=
export GOCACHE="${BUILD_DIR}/gocache"
log "go: $(go version)"

# --- 5. Fix: generate pkg/generated/openapi (upstream's make did it, the tarball lacks it) --
log "building openapi-gen"
go build -p "${JOBS}" -o "${BUILD_DIR}/openapi-gen" ./vendor/k8s.io/kube-openapi/cmd/openapi-gen

# Every package carrying a +k8s:openapi-gen= tag, as upstream's Makefile.generated_files
# found them. Staging packages are named through vendor/ (how GOPATH mode resolves them from
# k8s.io/kubernetes); code-generator's examples and sample-apiserver are not part of the
# API server and would only add clashing definitions.
log "finding openapi packages"
mapfile -t openapi_dirs < <(
    {
        find . \( -path ./vendor -o -path ./staging -o -path ./debian -o -path ./_output \
                  -o -path './.*' -o -path ./hack -o -path ./docs \) -prune \
             -o -type f -name '*.go' ! -name '*_test.go' -print
        find -L ./vendor/k8s.io -type f -name '*.go' ! -name '*_test.go' -print
    } \
    | xargs grep -l --color=never -E '^[[:space:]]*//[[:space:]]*\+k8s:openapi-gen=' \
    | xargs -n1 dirname | sed 's|^\./||' \
    | grep -Ev '^vendor/k8s\.io/(code-generator|sample-apiserver|kube-openapi)(/|$)' \
    | LC_ALL=C sort -u
)
((${#openapi_dirs[@]})) || die "found no packages with +k8s:openapi-gen tags"
log "generating openapi for ${#openapi_dirs[@]} packages"
input_dirs="$(printf 'k8s.io/kubernetes/%s,' "${openapi_dirs[@]}")"
input_dirs="${input_dirs%,}"
"${BUILD_DIR}/openapi-gen" \
    --logtostderr \
    --input-dirs "${input_dirs}" \
    --output-base "${GOPATH}/src" \
    --output-package k8s.io/kubernetes/pkg/generated/openapi \
    --output-file-base zz_generated.openapi \
    --go-header-file vendor/k8s.io/code-generator/hack/boilerplate.go.txt \
    --report-filename "${BUILD_DIR}/openapi-violations.report" \
    >"${BUILD_DIR}/openapi-gen.log" 2>&1 \
    || { tail -n 40 "${BUILD_DIR}/openapi-gen.log" >&2; die "openapi-gen failed"; }
[[ -s pkg/generated/openapi/zz_generated.openapi.go ]] || die "openapi-gen wrote nothing"

# --- 6. Build kube-apiserver --------------------------------------------------------------
# The version ldflags make /version report v1.20.2 rather than v0.0.0-master.
build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    p="k8s.io/kubernetes/vendor/${pkg}"
    ldflags+=" -X ${p}.gitVersion=v${K8S_VERSION}"
    ldflags+=" -X ${p}.gitMajor=1 -X ${p}.gitMinor=20"
    ldflags+=" -X ${p}.gitTreeState=clean -X ${p}.buildDate=${build_date}"
done
log "building kube-apiserver (this takes a few minutes)"
tmp_binary="${BINARY}.partial.$$"
go build -p "${JOBS}" -trimpath -ldflags "-s -w ${ldflags}" -o "${BUILD_DIR}/kube-apiserver" \
    ./cmd/kube-apiserver
"${BUILD_DIR}/kube-apiserver" --version | grep -q "v${K8S_VERSION}" \
    || die "built binary does not report v${K8S_VERSION}"
cp "${BUILD_DIR}/kube-apiserver" "${tmp_binary}" 2>/dev/null \
    || "${SUDO[@]}" cp "${BUILD_DIR}/kube-apiserver" "${tmp_binary}"
chmod 0755 "${tmp_binary}" 2>/dev/null || "${SUDO[@]}" chmod 0755 "${tmp_binary}"
mv -f "${tmp_binary}" "${BINARY}" 2>/dev/null || "${SUDO[@]}" mv -f "${tmp_binary}" "${BINARY}"
log "installed ${BINARY}"
echo "${BINARY}"
