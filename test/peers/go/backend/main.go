// Command backend is the grpc-go test peer backend (see test/peers/README.md, "The backend
// contract"): one process serves several "pods". Each --grpc listener answers
// /kubexds.demo.Echo/Hello with its name as raw bytes; each --http listener answers every
// HTTP/1.1 request with its name as a text/plain body.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"

	"kubexds.test/peers/echo"
)

// echoServer is the handler type of the hand-written service description.
type echoServer interface{ podName() string }

type pod string

func (p pod) podName() string { return string(p) }

func helloHandler(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
	var request []byte
	if err := dec(&request); err != nil {
		return nil, err
	}
	hello := func(context.Context, any) (any, error) { return []byte(srv.(echoServer).podName()), nil }
	if interceptor == nil {
		return hello(ctx, request)
	}
	return interceptor(ctx, request, &grpc.UnaryServerInfo{Server: srv, FullMethod: echo.HelloPath}, hello)
}

var echoServiceDesc = grpc.ServiceDesc{
	ServiceName: "kubexds.demo.Echo",
	HandlerType: (*echoServer)(nil),
	Methods:     []grpc.MethodDesc{{MethodName: "Hello", Handler: helloHandler}},
	Streams:     []grpc.StreamDesc{},
}

type listenerSpec struct{ protocol, name, address string }

type servingEvent struct {
	Event    string `json:"event"`
	Name     string `json:"name"`
	Protocol string `json:"protocol"`
	Address  string `json:"address"`
}

func usage(msg string) {
	fmt.Fprintf(os.Stderr, "backend: %s\n", msg)
	fmt.Fprintln(os.Stderr, "usage: backend --grpc NAME=HOST:PORT [--grpc ...] [--http NAME=HOST:PORT ...]")
	os.Exit(2)
}

func parseArgs(args []string) []listenerSpec {
	var specs []listenerSpec
	for i := 0; i < len(args); i++ {
		flag, value, inline := strings.Cut(args[i], "=")
		if !inline || !strings.HasPrefix(flag, "-") {
			flag, value = args[i], ""
		}
		protocol := strings.TrimLeft(flag, "-")
		if protocol != "grpc" && protocol != "http" || !strings.HasPrefix(flag, "-") {
			usage(fmt.Sprintf("unknown argument %q", args[i]))
		}
		if !inline || value == "" {
			if i+1 >= len(args) {
				usage(fmt.Sprintf("%s needs NAME=HOST:PORT", flag))
			}
			i++
			value = args[i]
		}
		name, address, ok := strings.Cut(value, "=")
		if !ok || name == "" {
			usage(fmt.Sprintf("%s %q: expected NAME=HOST:PORT", flag, value))
		}
		if _, _, err := net.SplitHostPort(address); err != nil {
			usage(fmt.Sprintf("%s %q: %v", flag, value, err))
		}
		specs = append(specs, listenerSpec{protocol, name, address})
	}
	if len(specs) == 0 {
		usage("at least one --grpc or --http listener is required")
	}
	return specs
}

func main() {
	specs := parseArgs(os.Args[1:])

	listeners := make([]net.Listener, len(specs))
	for i, spec := range specs {
		l, err := net.Listen("tcp", spec.address)
		if err != nil {
			for _, bound := range listeners[:i] {
				bound.Close()
			}
			fmt.Fprintf(os.Stderr, "backend: %s %s: %v\n", spec.name, spec.address, err)
			os.Exit(1)
		}
		listeners[i] = l
	}

	var grpcServers []*grpc.Server
	var httpServers []*http.Server
	var wg sync.WaitGroup
	for i, spec := range specs {
		l := listeners[i]
		switch spec.protocol {
		case "grpc":
			s := grpc.NewServer(grpc.ForceServerCodec(echo.BytesCodec{}))
			s.RegisterService(&echoServiceDesc, pod(spec.name))
			grpcServers = append(grpcServers, s)
			wg.Go(func() {
				if err := s.Serve(l); err != nil {
					fmt.Fprintf(os.Stderr, "backend: %s: %v\n", spec.name, err)
				}
			})
		case "http":
			body := []byte(spec.name)
			s := &http.Server{
				Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Type", "text/plain; charset=utf-8")
					w.Write(body)
				}),
				ReadHeaderTimeout: 10 * time.Second,
			}
			httpServers = append(httpServers, s)
			wg.Go(func() {
				if err := s.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
					fmt.Fprintf(os.Stderr, "backend: %s: %v\n", spec.name, err)
				}
			})
		}
	}

	enc := json.NewEncoder(os.Stdout)
	for i, spec := range specs {
		enc.Encode(servingEvent{"serving", spec.name, spec.protocol, listeners[i].Addr().String()})
	}

	// Serve until standard input closes or SIGTERM/SIGINT.
	done := make(chan struct{})
	go func() {
		io.Copy(io.Discard, os.Stdin)
		close(done)
	}()
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-done:
	case <-signals:
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, s := range httpServers {
		if s.Shutdown(ctx) != nil {
			s.Close()
		}
	}
	for _, s := range grpcServers {
		stopped := make(chan struct{})
		go func() { s.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-ctx.Done():
			s.Stop()
		}
	}
	wg.Wait()
}
