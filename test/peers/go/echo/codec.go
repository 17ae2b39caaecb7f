// Package echo holds what the Go client and backend share: the method they speak and a
// codec that passes messages through as raw bytes (no protobuf, as in every peer).
package echo

import "fmt"

// HelloPath is the one method: the request is "hi", the answer the backend's name.
const HelloPath = "/kubexds.demo.Echo/Hello"

// BytesCodec marshals []byte as is. Its Name is empty, so grpc-go sends the plain
// "application/grpc" content-type (not application/grpc+NAME) that grpc-js and Envoy send;
// a server answers with the content-type of the request.
type BytesCodec struct{}

func (BytesCodec) Marshal(v any) ([]byte, error) {
	if b, ok := v.([]byte); ok {
		return b, nil
	}
	return nil, fmt.Errorf("BytesCodec: cannot marshal %T", v)
}

func (BytesCodec) Unmarshal(data []byte, v any) error {
	if b, ok := v.(*[]byte); ok {
		*b = append([]byte(nil), data...)
		return nil
	}
	return fmt.Errorf("BytesCodec: cannot unmarshal into %T", v)
}

func (BytesCodec) Name() string { return "" }
