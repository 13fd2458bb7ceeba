/**
 * Offline schema validation of built manifests, in two passes over each object:
 *
 * 1. kubernetes-models' validators (Ajv code compiled from the Kubernetes OpenAPI schema, and
 *    from the Knative, Istio and Prometheus Operator CRDs in their @kubernetes-models
 *    packages): types, enums, required fields, formats.
 * 2. Unknown fields. The Kubernetes schema does not forbid extra properties (the API server
 *    drops or rejects them depending on its field validation mode), so pass 1 accepts a
 *    misspelt `livenessProbe.httpget`. The same packages ship TypeScript declarations
 *    generated from the same schemas; this walks each object against its declared interface
 *    with the TypeScript checker and reports every property the interface does not declare
 *    (`kubectl apply --validate=strict` does the same against the server's schema).
 *
 * A kind with no model here is an error too: adding a new kind means adding its package.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { deployPath } from './paths.js';

/** An object as parsed from YAML: apiVersion, kind and anything else. */
export interface ManifestObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: { readonly name?: string };
  readonly [field: string]: unknown;
}

/** Where the model of an API group lives: the package and its folder for the group. */
function modelModule(apiVersion: string, kind: string): string | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (!group) return `kubernetes-models/${version}/${kind}`;
  if (group.endsWith('.knative.dev')) return `@kubernetes-models/knative/${apiVersion}/${kind}`;
  if (group.endsWith('.istio.io')) return `@kubernetes-models/istio/${apiVersion}/${kind}`;
  if (group === 'monitoring.coreos.com')
    return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`;
  if (group.endsWith('.k8s.io') || !group.includes('.')) return `kubernetes-models/${apiVersion}/${kind}`;
  return undefined;
}

/**
 * The model's JavaScript file. The packages export ESM only (no `require` condition), so the
 * file is looked up in node_modules from deploy/ upwards, as Node's resolution does.
 */
function modelPath(apiVersion: string, kind: string): string | undefined {
  const specifier = modelModule(apiVersion, kind);
  if (!specifier) return undefined;
  for (let dir = deployPath(); ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'node_modules', `${specifier}.js`);
    if (existsSync(file)) return file;
    if (path.dirname(dir) === dir) return undefined;
  }
}

interface ModelClass {
  new (data: unknown): { validate(): void };
}

/** Pass 1: the model's compiled schema validator; the error names every failing path. */
async function schemaErrors(object: ManifestObject, file: string): Promise<string[]> {
  const module = (await import(file)) as Record<string, ModelClass>;
  const Model = module[object.kind];
  if (!Model) return [`${file} exports no ${object.kind}`];
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}

/** Union members that are not object shapes (the value is checked by pass 1 there). */
const PRIMITIVE_FLAGS =
  ts.TypeFlags.StringLike |
  ts.TypeFlags.NumberLike |
  ts.TypeFlags.BigIntLike |
  ts.TypeFlags.BooleanLike |
  ts.TypeFlags.Null |
  ts.TypeFlags.Undefined;

/**
 * Pass 2's TypeScript program: one source file that names the interface of every model it
 * is asked about, built once per set of kinds (a few seconds for the declarations).
 */
class DeclaredShapes {
  private readonly checker: ts.TypeChecker;
  private readonly types = new Map<string, ts.Type>();

  constructor(files: ReadonlyMap<string, string>) {
    const source = [...files.entries()]
      .map(
        ([key, file], i) =>
          `import type { I${key.split('|')[1]} as T${i} } from ${JSON.stringify(declarations(file))};\nexport type K${i} = T${i};`,
      )
      .join('\n');
    const name = deployPath('test', '__schema_shapes__.ts');
    const options: ts.CompilerOptions = {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
    };
    const host = ts.createCompilerHost(options);
    const readFile = host.readFile.bind(host);
    const fileExists = host.fileExists.bind(host);
    host.readFile = (f) => (f === name ? source : readFile(f));
    host.fileExists = (f) => f === name || fileExists(f);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (f, language) =>
      f === name ? ts.createSourceFile(f, source, language) : getSourceFile(f, language);
    const program = ts.createProgram([name], options, host);
    this.checker = program.getTypeChecker();
    const sourceFile = program.getSourceFile(name);
    if (!sourceFile) throw new Error('the schema shapes file did not compile');
    const keys = [...files.keys()];
    for (const statement of sourceFile.statements) {
      if (!ts.isTypeAliasDeclaration(statement)) continue;
      const index = Number(statement.name.text.slice(1));
      const type = this.checker.getTypeAtLocation(statement.name);
      if (type.flags & ts.TypeFlags.Any) {
        throw new Error(`the declarations of ${keys[index]} did not resolve (${files.get(keys[index]!)})`);
      }
      this.types.set(keys[index]!, type);
    }
  }

  /** Every property of `object` its declared interface does not have, as `path: unknown field`. */
  unknownFields(key: string, object: unknown): string[] {
    const type = this.types.get(key);
    if (!type) return [`no declared shape for ${key}`];
    const errors: string[] = [];
    this.walk(object, type, '', errors);
    return errors;
  }

  private walk(value: unknown, declared: ts.Type, path: string, errors: string[]): void {
    if (value === null || value === undefined || typeof value !== 'object') return;
    const type = this.checker.getNonNullableType(declared);
    if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return;
    if (type.isUnion()) {
      // e.g. `IntOrString`, or a CRD field declared as one of several shapes: the value is
      // fine when one of the object-like members takes it.
      const members = type.types.filter((t) => !(t.flags & PRIMITIVE_FLAGS));
      let best: string[] | undefined;
      for (const member of members) {
        const memberErrors: string[] = [];
        this.walk(value, member, path, memberErrors);
        if (memberErrors.length === 0) return;
        if (!best || memberErrors.length < best.length) best = memberErrors;
      }
      errors.push(...(best ?? []));
      return;
    }
    if (Array.isArray(value)) {
      if (!this.checker.isArrayType(type) && !this.checker.isTupleType(type)) return; // pass 1 reports it
      const element = this.checker.getTypeArguments(type as ts.TypeReference)[0];
      if (!element) return;
      value.forEach((item, i) => {
        this.walk(item, element, `${path}/${i}`, errors);
      });
      return;
    }
    const index = this.checker.getIndexInfoOfType(type, ts.IndexKind.String);
    for (const [field, fieldValue] of Object.entries(value)) {
      const property = this.checker.getPropertyOfType(type, field);
      const where = `${path}/${field}`;
      if (property) this.walk(fieldValue, this.checker.getTypeOfSymbol(property), where, errors);
      else if (index) this.walk(fieldValue, index.type, where, errors);
      else errors.push(`data${where}: unknown field "${field}"`);
    }
  }
}

/** The model's JavaScript file, which TypeScript resolves to the declarations beside it. */
function declarations(file: string): string {
  return file;
}

/** A validator for objects of any kind the model packages know. */
export interface SchemaValidator {
  /** Every problem of `object`, each a sentence naming the path; empty when it is valid. */
  errorsOf(object: ManifestObject): Promise<string[]>;
}

/**
 * Builds a validator for the kinds in `sample` (and only those: the TypeScript program is
 * built for them once). An object of another kind later is reported, not validated.
 */
export function schemaValidator(sample: readonly ManifestObject[]): SchemaValidator {
  const files = new Map<string, string>();
  for (const o of sample) {
    const file = modelPath(o.apiVersion, o.kind);
    if (file) files.set(`${o.apiVersion}|${o.kind}`, file);
  }
  const shapes = new DeclaredShapes(files);
  return {
    async errorsOf(object) {
      const key = `${object.apiVersion}|${object.kind}`;
      const file = files.get(key);
      if (!file) {
        return [
          `${object.apiVersion} ${object.kind}: no schema for this kind in kubernetes-models or the @kubernetes-models CRD packages the deploy tests use`,
        ];
      }
      return [...(await schemaErrors(object, file)), ...shapes.unknownFields(key, object)];
    },
  };
}
