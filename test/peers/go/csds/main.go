// Command csds asks a control plane's Client Status Discovery Service (CSDS) what its
// connected xDS clients hold, with the go-control-plane types standard xDS tooling uses.
//
//	csds --server HOST:PORT [--node-id ID | --node-id-prefix P | --node-id-regex RE]
//	     [--stream] [--full] [--timeout-ms MS]
//
// It prints one JSON line per client (per stream) the server reports:
//
//	{"node":"n1","user_agent":"grpc-go/1.85.0","resources":[{"type":"type.googleapis.com/envoy.config.listener.v3.Listener",
//	  "name":"echo...","version":"...","config_status":"SYNCED","client_status":"ACKED","has_config":true}]}
//
// or with --full the ClientStatusResponse itself as protobuf JSON. A failed call: the status
// on stderr, exit 1. Bad flags: a message on stderr, exit 2.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	statusv3 "github.com/envoyproxy/go-control-plane/envoy/service/status/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"

	// The types kube-xds sends, registered so that --full can print them inside their Any.
	_ "kubexds.test/peers/envoytypes"
)

type resource struct {
	Type         string `json:"type"`
	Name         string `json:"name"`
	Version      string `json:"version,omitempty"`
	ConfigStatus string `json:"config_status"`
	ClientStatus string `json:"client_status"`
	Error        string `json:"error,omitempty"`
	HasConfig    bool   `json:"has_config"`
}

type client struct {
	Node      string     `json:"node"`
	UserAgent string     `json:"user_agent,omitempty"`
	Resources []resource `json:"resources"`
}

func usage(msg string) {
	fmt.Fprintf(os.Stderr, "csds: %s\n", msg)
	fmt.Fprintln(os.Stderr, "usage: csds --server HOST:PORT [--node-id ID | --node-id-prefix P | --node-id-regex RE] [--stream] [--full] [--timeout-ms MS]")
	os.Exit(2)
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "csds: %v\n", err)
	os.Exit(1)
}

func main() {
	fs := flag.NewFlagSet("csds", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	server := fs.String("server", "", "the control plane's xDS address")
	nodeID := fs.String("node-id", "", "only the clients with this node id")
	nodePrefix := fs.String("node-id-prefix", "", "only the clients whose node id starts with this")
	nodeRegex := fs.String("node-id-regex", "", "only the clients whose whole node id matches this RE2 expression")
	stream := fs.Bool("stream", false, "ask over StreamClientStatus instead of FetchClientStatus")
	full := fs.Bool("full", false, "print the ClientStatusResponse as protobuf JSON")
	timeoutMs := fs.Int64("timeout-ms", 10000, "deadline of the call")
	if err := fs.Parse(os.Args[1:]); err != nil {
		usage(err.Error())
	}
	matchers := 0
	for _, value := range []string{*nodeID, *nodePrefix, *nodeRegex} {
		if value != "" {
			matchers++
		}
	}
	switch {
	case fs.NArg() > 0:
		usage(fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	case *server == "":
		usage("--server is required")
	case matchers > 1:
		usage("--node-id, --node-id-prefix and --node-id-regex exclude each other")
	case *timeoutMs <= 0:
		usage("--timeout-ms must be > 0")
	}

	request := &statusv3.ClientStatusRequest{Node: &corev3.Node{Id: "kube-xds-test-csds", UserAgentName: "csds"}}
	var pattern *matcherv3.StringMatcher
	switch {
	case *nodeID != "":
		pattern = &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: *nodeID}}
	case *nodePrefix != "":
		pattern = &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Prefix{Prefix: *nodePrefix}}
	case *nodeRegex != "":
		pattern = &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: *nodeRegex}}}
	}
	if pattern != nil {
		request.NodeMatchers = []*matcherv3.NodeMatcher{{NodeId: pattern}}
	}

	conn, err := grpc.NewClient(*server, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fail(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(*timeoutMs)*time.Millisecond)
	defer cancel()
	csds := statusv3.NewClientStatusDiscoveryServiceClient(conn)
	var response *statusv3.ClientStatusResponse
	if *stream {
		response, err = askOverStream(ctx, csds, request)
	} else {
		response, err = csds.FetchClientStatus(ctx, request)
	}
	if err != nil {
		fail(err)
	}

	if *full {
		text, err := protojson.Marshal(response)
		if err != nil {
			fail(err)
		}
		fmt.Println(string(text))
		return
	}
	enc := json.NewEncoder(os.Stdout)
	for _, config := range response.GetConfig() {
		_ = enc.Encode(summarize(config))
	}
}

// askOverStream sends the request on a StreamClientStatus stream, reads its one answer and
// closes the stream.
func askOverStream(ctx context.Context, csds statusv3.ClientStatusDiscoveryServiceClient, request *statusv3.ClientStatusRequest) (*statusv3.ClientStatusResponse, error) {
	stream, err := csds.StreamClientStatus(ctx)
	if err != nil {
		return nil, err
	}
	if err := stream.Send(request); err != nil {
		return nil, err
	}
	response, err := stream.Recv()
	if err != nil {
		return nil, err
	}
	if err := stream.CloseSend(); err != nil {
		return nil, err
	}
	// The server ends its side once ours is closed: io.EOF is its OK.
	if _, err := stream.Recv(); err != io.EOF {
		return nil, fmt.Errorf("the stream did not end cleanly after its answer: %v", err)
	}
	return response, nil
}

func summarize(config *statusv3.ClientConfig) client {
	node := config.GetNode()
	agent := node.GetUserAgentName()
	if version := node.GetUserAgentVersion(); version != "" {
		agent += "/" + version
	}
	summary := client{Node: node.GetId(), UserAgent: agent, Resources: []resource{}}
	for _, entry := range config.GetGenericXdsConfigs() {
		summary.Resources = append(summary.Resources, resource{
			Type:         entry.GetTypeUrl(),
			Name:         entry.GetName(),
			Version:      entry.GetVersionInfo(),
			ConfigStatus: entry.GetConfigStatus().String(),
			ClientStatus: entry.GetClientStatus().String(),
			Error:        entry.GetErrorState().GetDetails(),
			HasConfig:    entry.GetXdsConfig() != nil,
		})
	}
	return summary
}
