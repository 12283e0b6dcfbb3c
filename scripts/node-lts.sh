# Source this file (`. scripts/node-lts.sh`) to put a supported Node.js first on PATH.
#
# A machine whose own Node is older than the project's floor (engines: >=22.12) keeps it: the
# version in .nvmrc is installed from the npm registry's `node` package (which ships the
# binary) into .tools/node, git-ignored, and only this shell's PATH changes. Machines with a
# current Node, or with nvm/fnm reading .nvmrc, are left alone.
_edgefeed_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
_edgefeed_want="$(tr -d '[:space:]' <"$_edgefeed_root/.nvmrc")"
_edgefeed_tools="$_edgefeed_root/.tools/node"

_edgefeed_supported() {
  "$1" -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=12)?0:1)' 2>/dev/null
}

if ! command -v node >/dev/null || ! _edgefeed_supported node; then
  if [ "$("$_edgefeed_tools/node_modules/.bin/node" --version 2>/dev/null)" != "v$_edgefeed_want" ]; then
    echo "node-lts: this machine's Node is $(node --version 2>/dev/null || echo missing); installing Node $_edgefeed_want into .tools/node" >&2
    mkdir -p "$_edgefeed_tools"
    npm install --prefix "$_edgefeed_tools" --no-save --no-audit --no-fund --loglevel=error \
      "node@$_edgefeed_want" >&2
  fi
  export PATH="$_edgefeed_tools/node_modules/.bin:$PATH"
fi
unset -f _edgefeed_supported
unset _edgefeed_root _edgefeed_want _edgefeed_tools
