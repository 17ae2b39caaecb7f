// The grpc-java client of test/peers/README.md ("The client contract").
//
//   client --target TARGET [--authority HOST] [--rate N] [--duration-ms MS]
//          [--deadline-ms MS] [--idle-timeout-ms MS] [--method PATH] [--metadata KEY=VALUE ...]
//
// One channel, unary calls to /kubexds.demo.Echo/Hello with identity (byte[]) marshalling,
// JSON lines on stdout, `pause` / `resume` on stdin, summary on EOF or when the duration ends.
package kubexds.peers;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;

public final class Client {
  private static final String CLIENT = "grpc-java";
  private static final byte[] REQUEST = "hi".getBytes(StandardCharsets.UTF_8);

  /** Monotonic origin of every `ms`. */
  private static final long START_NANOS = System.nanoTime();

  /** The real standard output; System.out is pointed at stderr so that nothing else lands here. */
  private static final PrintStream OUT =
      new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);

  /** Held so that the level set on it is not lost when the logger is garbage-collected. */
  private static final Logger ROOT_LOGGER = Logger.getLogger("");

  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw Status.INTERNAL.withDescription("reading the response").withCause(e).asRuntimeException();
          }
        }
      };

  static final String HELLO_PATH = "/kubexds.demo.Echo/Hello";

  /** A unary bytes method; `path` is `/SERVICE/METHOD`. */
  static MethodDescriptor<byte[], byte[]> method(String path) {
    return MethodDescriptor.<byte[], byte[]>newBuilder(BYTES, BYTES)
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(path.substring(1))
        .build();
  }

  // ---- flags ---------------------------------------------------------------------------------

  private static final class Flags {
    String target;
    String authority;
    double rate = 50;
    long durationMs = 0;
    long deadlineMs = 5000;
    long idleTimeoutMs = 0;
    String method = HELLO_PATH;
    final Metadata metadata = new Metadata();
  }

  private static final String USAGE =
      "usage: client --target TARGET [--authority HOST] [--rate N] [--duration-ms MS]\n"
          + "              [--deadline-ms MS] [--idle-timeout-ms MS] [--method PATH] [--metadata KEY=VALUE ...]";

  private static final class BadFlag extends Exception {
    private static final long serialVersionUID = 1L;

    BadFlag(String message) {
      super(message);
    }
  }

  private static Flags parseFlags(String[] args) throws BadFlag {
    Flags flags = new Flags();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      String name;
      String value;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      } else {
        name = arg;
        if (!arg.startsWith("--")) throw new BadFlag("unexpected argument: " + arg);
        if (i + 1 >= args.length) throw new BadFlag(name + " needs a value");
        value = args[++i];
      }
      switch (name) {
        case "--target":
          flags.target = value;
          break;
        case "--authority":
          flags.authority = value;
          break;
        case "--rate":
          flags.rate = parseDouble(name, value);
          if (!(flags.rate > 0) || Double.isInfinite(flags.rate)) throw new BadFlag("--rate must be positive");
          break;
        case "--duration-ms":
          flags.durationMs = parseMs(name, value);
          break;
        case "--deadline-ms":
          flags.deadlineMs = parseMs(name, value);
          if (flags.deadlineMs == 0) throw new BadFlag("--deadline-ms must be positive");
          break;
        case "--idle-timeout-ms":
          flags.idleTimeoutMs = parseMs(name, value);
          break;
        case "--method":
          if (!value.matches("/[^/]+/[^/]+")) throw new BadFlag("--method must be /SERVICE/METHOD");
          flags.method = value;
          break;
        case "--metadata": {
          int at = value.indexOf('=');
          if (at <= 0) throw new BadFlag("--metadata must be KEY=VALUE");
          flags.metadata.put(Metadata.Key.of(value.substring(0, at), Metadata.ASCII_STRING_MARSHALLER), value.substring(at + 1));
          break;
        }
        default:
          throw new BadFlag("unknown flag: " + name);
      }
    }
    if (flags.target == null || flags.target.isEmpty()) throw new BadFlag("--target is required");
    return flags;
  }

  private static double parseDouble(String name, String value) throws BadFlag {
    try {
      return Double.parseDouble(value);
    } catch (NumberFormatException e) {
      throw new BadFlag(name + ": not a number: " + value);
    }
  }

  private static long parseMs(String name, String value) throws BadFlag {
    long ms;
    try {
      ms = Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new BadFlag(name + ": not an integer: " + value);
    }
    if (ms < 0) throw new BadFlag(name + " must not be negative");
    return ms;
  }

  // ---- output --------------------------------------------------------------------------------

  private static long ms() {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - START_NANOS);
  }

  private static synchronized void emit(String line) {
    OUT.print(line);
    OUT.print('\n');
    OUT.flush();
  }

  private static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"': b.append("\\\""); break;
        case '\\': b.append("\\\\"); break;
        case '\n': b.append("\\n"); break;
        case '\r': b.append("\\r"); break;
        case '\t': b.append("\\t"); break;
        default:
          if (c < 0x20 || c == 0x2028 || c == 0x2029) b.append(String.format("\\u%04x", (int) c));
          else b.append(c);
      }
    }
    return b.append('"').toString();
  }

  private static String object(Map<String, Long> map) {
    StringBuilder b = new StringBuilder("{");
    for (Map.Entry<String, Long> e : map.entrySet()) {
      if (b.length() > 1) b.append(',');
      b.append(quote(e.getKey())).append(':').append(e.getValue());
    }
    return b.append('}').toString();
  }

  /** grpc-java's own version, read at run time (a reflective read: the constant is not inlined). */
  private static String grpcVersion() {
    try {
      Object v = Class.forName("io.grpc.internal.GrpcUtil").getField("IMPLEMENTATION_VERSION").get(null);
      if (v != null) return v.toString();
    } catch (ReflectiveOperationException | LinkageError e) {
      // fall through to the jar's manifest
    }
    String v = ManagedChannel.class.getPackage().getImplementationVersion();
    return v != null ? v : "unknown";
  }

  private static void quietLogging() {
    ROOT_LOGGER.setLevel(Level.WARNING);
    for (Handler h : ROOT_LOGGER.getHandlers()) h.setLevel(Level.WARNING);
  }

  // ---- state shared with the stdin reader ----------------------------------------------------

  private static final Object LOCK = new Object();
  private static boolean paused;
  private static boolean stopped;
  /** Bumped on every resume, so that the loop restarts its pacing. */
  private static long resumes;

  private static void readCommands() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        String command = line.trim();
        synchronized (LOCK) {
          switch (command) {
            case "pause":
              paused = true;
              break;
            case "resume":
              if (paused) resumes++;
              paused = false;
              break;
            case "":
              break;
            default:
              System.err.println("client: unknown command: " + command);
          }
          LOCK.notifyAll();
        }
      }
    } catch (IOException e) {
      System.err.println("client: reading standard input: " + e);
    }
    synchronized (LOCK) {
      stopped = true;
      LOCK.notifyAll();
    }
  }

  // ---- main ----------------------------------------------------------------------------------

  public static void main(String[] args) throws InterruptedException {
    System.setOut(System.err);
    Flags flags;
    try {
      flags = parseFlags(args);
    } catch (BadFlag e) {
      System.err.println("client: " + e.getMessage());
      System.err.println(USAGE);
      System.exit(2);
      return;
    }
    quietLogging();

    emit("{\"event\":\"start\",\"client\":" + quote(CLIENT) + ",\"version\":" + quote(grpcVersion()) + "}");

    ManagedChannelBuilder<?> builder = Grpc.newChannelBuilder(flags.target, InsecureChannelCredentials.create());
    if (flags.authority != null) builder.overrideAuthority(flags.authority);
    // grpc-java raises anything below 1 s to 1 s (ManagedChannelImplBuilder.IDLE_MODE_MIN_TIMEOUT_MILLIS).
    if (flags.idleTimeoutMs > 0) builder.idleTimeout(flags.idleTimeoutMs, TimeUnit.MILLISECONDS);
    ManagedChannel channel = builder.build();
    MethodDescriptor<byte[], byte[]> method = method(flags.method);
    Channel calling = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(flags.metadata));

    Thread reader = new Thread(Client::readCommands, "stdin");
    reader.setDaemon(true);
    reader.start();

    Map<String, Long> calls = new LinkedHashMap<>();
    Map<String, Long> failures = new LinkedHashMap<>();
    Map<String, Long> firstAnswer = new LinkedHashMap<>();

    long periodNanos = Math.max(1, Math.round(1e9 / flags.rate));
    boolean bounded = flags.durationMs > 0;
    long endNanos = START_NANOS + TimeUnit.MILLISECONDS.toNanos(flags.durationMs);
    long next = System.nanoTime();
    long seenResumes = 0;

    while (true) {
      // Wait until the next call is due, unless paused, stopped or the duration is over.
      synchronized (LOCK) {
        while (true) {
          long now = System.nanoTime();
          long left = bounded ? endNanos - now : Long.MAX_VALUE;
          if (stopped || left <= 0) break;
          if (resumes != seenResumes) {
            seenResumes = resumes;
            next = now;
          }
          long wait;
          if (paused) {
            wait = left;
          } else {
            wait = Math.min(next - now, left);
            if (wait <= 0) break;
          }
          TimeUnit.NANOSECONDS.timedWait(LOCK, wait);
        }
        if (stopped || (bounded && System.nanoTime() - endNanos >= 0)) break;
      }

      try {
        byte[] reply = ClientCalls.blockingUnaryCall(
            calling, method, CallOptions.DEFAULT.withDeadlineAfter(flags.deadlineMs, TimeUnit.MILLISECONDS), REQUEST);
        long at = ms();
        String backend = new String(reply, StandardCharsets.UTF_8);
        calls.merge(backend, 1L, Long::sum);
        firstAnswer.putIfAbsent(backend, at);
        emit("{\"event\":\"call\",\"ms\":" + at + ",\"backend\":" + quote(backend) + "}");
      } catch (StatusRuntimeException e) {
        long at = ms();
        Status status = e.getStatus();
        String code = status.getCode().name();
        String details = status.getDescription();
        if (details == null) details = status.getCause() != null ? status.getCause().toString() : "";
        failures.merge(code, 1L, Long::sum);
        emit("{\"event\":\"failure\",\"ms\":" + at + ",\"code\":" + quote(code) + ",\"details\":" + quote(details) + "}");
      }

      // The next call is due one period after this one was; a late call is followed at once.
      long now = System.nanoTime();
      next += periodNanos;
      if (next - now < 0) next = now;
    }

    emit("{\"event\":\"summary\",\"calls\":" + object(calls) + ",\"failures\":" + object(failures)
        + ",\"first_answer_ms\":" + object(firstAnswer) + "}");
    channel.shutdownNow();
    System.exit(0);
  }
}
