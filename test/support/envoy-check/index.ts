// A strict stand-in for Envoy's config validation (Envoy cannot run here): protoc-gen-validate
// rules read from the protos, the rules Envoy adds on top, cross-resource consistency, and
// proto3 JSON/YAML parsing for bootstrap files. Every check returns Problem[]; empty = valid.
export { checkEnvoyMessage, checkPgv } from './check-message.ts';
export { checkProtoJson, checkProtoYaml, parseProtoJson, parseProtoYaml, type ParsedDocument } from './check-document.ts';
export { envoyProtos, messageType } from './load-protos.ts';
export type { Problem, ProtoMessage } from './problem.ts';
export { checkResourceSet, type ResourceSet } from './resource-set.ts';
export { declaredRules, isImplementedRule } from './rule-inventory.ts';
