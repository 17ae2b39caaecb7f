// In-process checks beside Envoy's own validator (../envoy-validate.ts): protoc-gen-validate
// rules read from the protos, with field paths, on everything (also on what Envoy's validator
// must leave out: the load balancing policy gRPC clients get); the rules Envoy's validator
// does not apply (envoy-rules.ts); cross-resource consistency. Every check returns Problem[];
// empty = valid.
export { checkEnvoyMessage, checkPgv } from './check-message.ts';
export { envoyProtos, messageType } from './load-protos.ts';
export type { Problem, ProtoMessage } from './problem.ts';
export { checkResourceSet, type ResourceSet } from './resource-set.ts';
export { declaredRules, isImplementedRule } from './rule-inventory.ts';
