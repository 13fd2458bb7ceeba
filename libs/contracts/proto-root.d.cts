/** The absolute path of the repository's proto/ directory. */
declare const protoRoot: string;
export = protoRoot;
