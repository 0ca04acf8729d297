# Renames of branch "protocol" (issue 12, the protocol in one place), for the other branches:
#   sed -E -i -f RENAMES.sed $(git ls-files '*.java')
# Not part of the source: the lead deletes this file after merging.
# GNU sed. The first three lines read the whole file into the pattern space, so that the import
# rules below can see whether a file still uses (or now needs) a class. Idempotent.
:a
N
$!ba

# internal/frame/CloseCodes is gone: close codes are in internal/frame/WebSocketProtocol.
s/\bCloseCodes([.#])(NORMAL|GOING_AWAY|PROTOCOL_ERROR|INVALID_PAYLOAD|MESSAGE_TOO_BIG|INTERNAL_ERROR|NO_CODE|ABNORMAL)\b/WebSocketProtocol\1CLOSE_\2/g
s/\bCloseCodes([.#])isValidOnWire\b/WebSocketProtocol\1isValidCloseCode/g
s/\nimport io\.github\.wsproxy\.internal\.frame\.CloseCodes;//

# The opcodes left internal/frame/FrameEncoder (which keeps encode) for WebSocketProtocol.
s/\bFrameEncoder([.#])OP_(CONTINUATION|TEXT|BINARY|CLOSE|PING)\b/WebSocketProtocol\1OPCODE_\2/g
/(^|[^.[:alnum:]_])FrameEncoder\b/!s/\nimport io\.github\.wsproxy\.internal\.frame\.FrameEncoder;//

# HandshakeTranslator, with the Rejection it returns and the BadUpstreamException it throws,
# moved from internal/relay to internal/http (now public there).
s/\bio\.github\.wsproxy\.internal\.relay\.(HandshakeTranslator|Rejection|BadUpstreamException)\b/io.github.wsproxy.internal.http.\1/g

# Imports the renames above make necessary, each added where it sorts among the file's imports
# (after the last import that sorts before it; else before the first import; else after the package).
/(^|[^.[:alnum:]_])WebSocketProtocol\b/{
  /(^|\n)package io\.github\.wsproxy\.internal\.frame;/!{
    /\nimport io\.github\.wsproxy\.internal\.frame\.WebSocketProtocol;/!{
      s/(.*\nimport (com\.|io\.github\.wsproxy\.[A-Z]|io\.github\.wsproxy\.internal\.([A-Z]|[a-e]|frame\.[A-V]))[^\n]*;)/\1\nimport io.github.wsproxy.internal.frame.WebSocketProtocol;/
      /\nimport io\.github\.wsproxy\.internal\.frame\.WebSocketProtocol;/!s/\nimport ([^s])/\nimport io.github.wsproxy.internal.frame.WebSocketProtocol;\nimport \1/
      /\nimport io\.github\.wsproxy\.internal\.frame\.WebSocketProtocol;/!s/^(package [^\n]*;\n)/\1\nimport io.github.wsproxy.internal.frame.WebSocketProtocol;\n/
    }
  }
}
# (Not in the old relay copies of the moved classes themselves: the merge keeps the http ones.)
/(^|\n)package io\.github\.wsproxy\.internal\.relay;/{
  /(^|\n)(public )?(final )?(class|record) (HandshakeTranslator|Rejection|BadUpstreamException)\b/!{
    /(^|[^.[:alnum:]_])BadUpstreamException\b/{
      /\nimport io\.github\.wsproxy\.internal\.http\.BadUpstreamException;/!{
        s/(.*\nimport (com\.|io\.github\.wsproxy\.[A-Z]|io\.github\.wsproxy\.internal\.([A-Z]|[a-g]|http\.A))[^\n]*;)/\1\nimport io.github.wsproxy.internal.http.BadUpstreamException;/
        /\nimport io\.github\.wsproxy\.internal\.http\.BadUpstreamException;/!s/\nimport ([^s])/\nimport io.github.wsproxy.internal.http.BadUpstreamException;\nimport \1/
        /\nimport io\.github\.wsproxy\.internal\.http\.BadUpstreamException;/!s/^(package [^\n]*;\n)/\1\nimport io.github.wsproxy.internal.http.BadUpstreamException;\n/
      }
    }
    /(^|[^.[:alnum:]_])HandshakeTranslator\b/{
      /\nimport io\.github\.wsproxy\.internal\.http\.HandshakeTranslator;/!{
        s/(.*\nimport (com\.|io\.github\.wsproxy\.[A-Z]|io\.github\.wsproxy\.internal\.([A-Z]|[a-g]|http\.([A-G]|Ha[a-m])))[^\n]*;)/\1\nimport io.github.wsproxy.internal.http.HandshakeTranslator;/
        /\nimport io\.github\.wsproxy\.internal\.http\.HandshakeTranslator;/!s/\nimport ([^s])/\nimport io.github.wsproxy.internal.http.HandshakeTranslator;\nimport \1/
        /\nimport io\.github\.wsproxy\.internal\.http\.HandshakeTranslator;/!s/^(package [^\n]*;\n)/\1\nimport io.github.wsproxy.internal.http.HandshakeTranslator;\n/
      }
    }
    /(^|[^.[:alnum:]_])Rejection\b/{
      /\nimport io\.github\.wsproxy\.internal\.http\.Rejection;/!{
        s/(.*\nimport (com\.|io\.github\.wsproxy\.[A-Z]|io\.github\.wsproxy\.internal\.([A-Z]|[a-g]|http\.([A-Q]|Re[a-i])))[^\n]*;)/\1\nimport io.github.wsproxy.internal.http.Rejection;/
        /\nimport io\.github\.wsproxy\.internal\.http\.Rejection;/!s/\nimport ([^s])/\nimport io.github.wsproxy.internal.http.Rejection;\nimport \1/
        /\nimport io\.github\.wsproxy\.internal\.http\.Rejection;/!s/^(package [^\n]*;\n)/\1\nimport io.github.wsproxy.internal.http.Rejection;\n/
      }
    }
  }
}
