// Starts `runnerc lsp` over stdio for `.runner` files; the binary is the `runnerc.path` setting.
'use strict';

const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

async function start() {
  const command = vscode.workspace.getConfiguration('runnerc').get('path') || 'runnerc';
  const server = { command, args: ['lsp'] }; // stdio is the default transport
  client = new LanguageClient('runnerc', 'runnerc', { run: server, debug: server }, {
    documentSelector: [{ language: 'runner' }],
  });
  try {
    await client.start();
  } catch (error) {
    vscode.window.showErrorMessage(
      `runnerc: cannot start "${command} lsp" (${error.message}). Set runnerc.path to the runnerc binary.`
    );
  }
}

async function stop() {
  const running = client;
  client = undefined;
  if (running && running.isRunning()) {
    await running.stop();
  }
}

function activate(context) {
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration('runnerc.path')) {
        await stop();
        await start();
      }
    })
  );
  return start();
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };
