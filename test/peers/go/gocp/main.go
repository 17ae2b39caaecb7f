// Command gocp is the go-control-plane reference for the fleet benchmark: go-control-plane's
// snapshot cache (pkg/cache/v3) and state-of-the-world ADS server (pkg/server/v3) on grpc-go,
// used the way Go control planes use them, fed kube-xds's own resources over standard input.
//
//	gocp [--address HOST:PORT] [--ads] [--one-version]
//
// Once listening it prints {"event":"listening","port":N}. Standard input takes one JSON
// command a line, resources as base64 google.protobuf.Any keyed by type URL:
//
//	{"op":"set","resources":{"type.googleapis.com/...Cluster":["<base64 Any>", ...], ...}}
//	{"op":"update","resources":{...}}
//
// set replaces the whole set, update replaces the named resources and keeps the rest; both
// then SetSnapshot a new version and answer {"event":"set","version":"N","ms":M} once it
// returns (M: the time SetSnapshot took, build_ms: the time to build the snapshot before it).
// A bad command answers {"event":"error","message":"..."} and changes nothing. Standard input
// closing ends the program (exit 0). Bad flags: a message on stderr, exit 2.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoverygrpc "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/log"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	// Every message kube-xds's resources carry, registered so that their Any fields resolve.
	_ "kubexds.test/peers/envoytypes"
)

// The one snapshot key: every client shares one snapshot, as kube-xds serves one snapshot to
// a whole class of clients.
const snapshotKey = "all"

type oneKey struct{}

func (oneKey) ID(*core.Node) string { return snapshotKey }

// The four types kube-xds serves; anything else is refused.
var served = map[string]bool{
	resource.ClusterType:  true,
	resource.EndpointType: true,
	resource.ListenerType: true,
	resource.RouteType:    true,
}

type command struct {
	Op        string              `json:"op"`
	Resources map[string][][]byte `json:"resources"` // base64 in JSON
}

type entry struct {
	any      []byte // the encoded Any as received: compared to see whether a resource changed
	resource types.Resource
}

type state struct {
	cache      cache.SnapshotCache
	oneVersion bool
	serial     int
	// type URL → resource name → resource
	resources map[string]map[string]entry
	// type URL → the serial of its last change
	typeVersions map[string]string
}

func main() {
	fs := flag.NewFlagSet("gocp", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	address := fs.String("address", "127.0.0.1:0", "where the ADS server listens")
	ads := fs.Bool("ads", false, "the cache's ADS mode: answer a request only when it names every resource of its type in the snapshot")
	oneVersion := fs.Bool("one-version", false, "every type takes the snapshot's version, so any change resends every type")
	if err := fs.Parse(os.Args[1:]); err != nil || fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "gocp: bad arguments %q\n", os.Args[1:])
		fmt.Fprintln(os.Stderr, "usage: gocp [--address HOST:PORT] [--ads] [--one-version]")
		os.Exit(2)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// ADS mode off by default: in it the cache answers a request only when the request names
	// every resource of its type in the snapshot, and a proxyless client names only the ones of
	// the Service it dials, so with one shared snapshot it would never be answered. The ADS
	// server itself is the same either way.
	snapshots := cache.NewSnapshotCache(*ads, oneKey{}, errorsOnly())
	xds := server.NewServer(ctx, snapshots, server.CallbackFuncs{})
	grpcServer := grpc.NewServer(grpc.MaxConcurrentStreams(1_000_000))
	discoverygrpc.RegisterAggregatedDiscoveryServiceServer(grpcServer, xds)

	listener, err := net.Listen("tcp", *address)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gocp: %v\n", err)
		os.Exit(1)
	}
	go func() {
		if err := grpcServer.Serve(listener); err != nil {
			fmt.Fprintf(os.Stderr, "gocp: serve: %v\n", err)
			os.Exit(1)
		}
	}()

	out := json.NewEncoder(os.Stdout)
	emit := func(event map[string]any) {
		if err := out.Encode(event); err != nil {
			os.Exit(1) // standard output is gone: nobody is listening any more
		}
	}
	emit(map[string]any{"event": "listening", "port": listener.Addr().(*net.TCPAddr).Port})

	s := &state{cache: snapshots, oneVersion: *oneVersion, resources: map[string]map[string]entry{}, typeVersions: map[string]string{}}
	// A whole cluster's resources make lines of many megabytes: no line length limit.
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	for {
		line, readErr := in.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			emit(s.handle(ctx, line))
		}
		if readErr != nil {
			break // EOF (or a broken pipe): the driver is done
		}
	}
	grpcServer.Stop()
}

func (s *state) handle(ctx context.Context, line []byte) map[string]any {
	var cmd command
	if err := json.Unmarshal(line, &cmd); err != nil {
		return failure(fmt.Errorf("not a command: %v", err))
	}
	if cmd.Op != "set" && cmd.Op != "update" {
		return failure(fmt.Errorf("unknown op %q (set, update)", cmd.Op))
	}
	incoming, err := decode(cmd.Resources)
	if err != nil {
		return failure(err)
	}

	buildStart := time.Now()
	s.serial++
	version := strconv.Itoa(s.serial)
	next := make(map[string]map[string]entry, len(served))
	for typeURL := range served {
		byName, given := incoming[typeURL]
		switch {
		case cmd.Op == "set" && given:
			next[typeURL] = byName
		case cmd.Op == "set":
			next[typeURL] = map[string]entry{}
		default:
			merged := make(map[string]entry, len(s.resources[typeURL])+len(byName))
			for name, e := range s.resources[typeURL] {
				merged[name] = e
			}
			for name, e := range byName {
				merged[name] = e
			}
			next[typeURL] = merged
		}
		if s.oneVersion || s.typeVersions[typeURL] == "" || changed(s.resources[typeURL], next[typeURL]) {
			s.typeVersions[typeURL] = version
		}
	}

	byType := make(map[resource.Type][]types.Resource, len(served))
	count := 0
	for typeURL, byName := range next {
		list := make([]types.Resource, 0, len(byName))
		for _, e := range byName {
			list = append(list, e.resource)
		}
		byType[typeURL] = list
		count += len(list)
	}
	snapshot, err := cache.NewSnapshot(version, byType)
	if err != nil {
		s.serial--
		return failure(err)
	}
	// Unchanged types keep their version, so their watches are not answered again: the
	// per-type versions a Go control plane keeps when it rebuilds its snapshot on a change.
	for typeURL := range served {
		snapshot.Resources[cache.GetResponseType(typeURL)].Version = s.typeVersions[typeURL]
	}
	buildMs := sinceMs(buildStart)

	setStart := time.Now()
	err = s.cache.SetSnapshot(ctx, snapshotKey, snapshot)
	setMs := sinceMs(setStart)
	s.resources = next
	if err != nil {
		return failure(fmt.Errorf("SetSnapshot: %v", err))
	}
	return map[string]any{"event": "set", "version": version, "ms": setMs, "build_ms": buildMs, "resources": count, "versions": s.versionsByType()}
}

// decode turns every Any into its typed message, indexed by type URL then name.
func decode(given map[string][][]byte) (map[string]map[string]entry, error) {
	out := make(map[string]map[string]entry, len(given))
	for typeURL, anys := range given {
		if !served[typeURL] {
			return nil, fmt.Errorf("unknown type URL %q", typeURL)
		}
		byName := make(map[string]entry, len(anys))
		for i, raw := range anys {
			var wrapped anypb.Any
			if err := proto.Unmarshal(raw, &wrapped); err != nil {
				return nil, fmt.Errorf("%s #%d is not a google.protobuf.Any: %v", typeURL, i, err)
			}
			if wrapped.GetTypeUrl() != typeURL {
				return nil, fmt.Errorf("%s #%d is a %q", typeURL, i, wrapped.GetTypeUrl())
			}
			message, err := anypb.UnmarshalNew(&wrapped, proto.UnmarshalOptions{})
			if err != nil {
				return nil, fmt.Errorf("%s #%d: %v", typeURL, i, err)
			}
			name := cache.GetResourceName(message)
			if name == "" {
				return nil, fmt.Errorf("%s #%d has no name", typeURL, i)
			}
			if _, twice := byName[name]; twice {
				return nil, fmt.Errorf("%s %q given twice", typeURL, name)
			}
			byName[name] = entry{any: raw, resource: message}
		}
		out[typeURL] = byName
	}
	return out, nil
}

func changed(before, after map[string]entry) bool {
	if len(before) != len(after) {
		return true
	}
	for name, e := range after {
		old, ok := before[name]
		if !ok || !bytes.Equal(old.any, e.any) {
			return true
		}
	}
	return false
}

// A copy (encoding/json prints map keys sorted).
func (s *state) versionsByType() map[string]string {
	out := make(map[string]string, len(s.typeVersions))
	for typeURL, version := range s.typeVersions {
		out[typeURL] = version
	}
	return out
}

func sinceMs(start time.Time) float64 {
	return float64(time.Since(start).Microseconds()) / 1000
}

func failure(err error) map[string]any {
	return map[string]any{"event": "error", "message": err.Error()}
}

// errorsOnly logs the cache's errors to stderr; its debug and info lines are per request.
func errorsOnly() log.Logger {
	return log.LoggerFuncs{
		ErrorFunc: func(format string, args ...any) {
			fmt.Fprintf(os.Stderr, "gocp: "+format+"\n", args...)
		},
	}
}
