/**
 * The commands Stowage's messages tell a user to run (`run \`stowage claim local\` first`) name
 * no configuration: under `-c prod.json` they read the default `stowage.config.json`, another
 * configuration or none. So where the command was given `-c`, each such command in what it
 * prints is given the same `-c`, ready to copy.
 */
export function withConfigFlag(text: string, commands: ReadonlySet<string>, file: string): string {
  return text.replace(/`stowage ([a-z][a-z-]*)((?: [^`\n]*)?)`/g, (whole, command: string, rest: string) =>
    commands.has(command) && !/(^| )(-c|--config)( |=|$)/.test(rest) ? `\`stowage ${command}${rest} -c ${shellWord(file)}\`` : whole,
  );
}

/** A path as one shell word: quoted where the shell would split or expand it. */
function shellWord(path: string): string {
  return /^[\w./@%+=:,-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}
