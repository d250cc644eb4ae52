-- Drives Neovim's own LSP client (0.7.2 API: vim.lsp.start_client + vim.lsp.buf_attach_client)
-- against `runnerc lsp` and writes what Neovim made of the answers, as JSON, for tests/neovim.rs.
--
-- Run headless: nvim --headless -u NONE -i NONE -n -S tests/neovim/diagnostics.lua
--
-- Input, from the environment:
--   RUNNERC_BIN         the runnerc binary (started as `RUNNERC_BIN lsp`)
--   RUNNERC_SPEC        the .runner file to open
--   RUNNERC_OUT         where to write the JSON report
--   RUNNERC_HOVER_LINE  0-based line of the keyword to hover
--   RUNNERC_HOVER_COL   0-based byte column in that line (Neovim's cursor column)
--
-- The report holds: the encodings the client offered (from its initialize request), the one
-- the server answered and the one the client uses; the diagnostics as vim.diagnostic holds them
-- (byte columns, converted by the client); the hover request's position and result; the
-- formatting edits, the buffer text after Neovim applied them, and the diagnostics published
-- after that change; how the server process exited. Any failure or timeout writes
-- { "error": ... } instead and quits with a non-zero status (:cquit).

local WAIT_MS = 10000

local out_path = os.getenv("RUNNERC_OUT")

local function write_report(report)
  local file = assert(io.open(out_path, "w"))
  file:write(vim.fn.json_encode(report))
  file:close()
end

local function env(name)
  local value = os.getenv(name)
  if value == nil or value == "" then
    error(name .. " is not set")
  end
  return value
end

-- Waits for `condition`, or fails with `what`.
local function wait_for(what, condition)
  if not vim.wait(WAIT_MS, condition, 20) then
    error(string.format("timed out after %d ms waiting for %s", WAIT_MS, what))
  end
end

-- The diagnostics of a buffer in a stable order, with the fields the test checks.
local function diagnostics(bufnr)
  local list = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(list, {
      lnum = d.lnum,
      col = d.col,
      end_lnum = d.end_lnum,
      end_col = d.end_col,
      severity = d.severity,
      severity_name = vim.diagnostic.severity[d.severity],
      message = d.message,
      code = d.code,
      source = d.source,
    })
  end
  table.sort(list, function(a, b)
    if a.lnum ~= b.lnum then
      return a.lnum < b.lnum
    end
    return a.col < b.col
  end)
  return list
end

-- One request through the buffer's client; its result (vim.NIL for a null result).
local function request(bufnr, client_id, method, params)
  local responses, err = vim.lsp.buf_request_sync(bufnr, method, params, WAIT_MS)
  if not responses then
    error(string.format("%s: no response (%s)", method, tostring(err)))
  end
  local response = responses[client_id]
  if not response then
    error(method .. ": no response from the runnerc client")
  end
  if response.error then
    error(method .. ": " .. vim.inspect(response.error))
  end
  if response.result == nil then
    return vim.NIL
  end
  return response.result
end

local function buffer_text(bufnr)
  local text = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, true), "\n")
  if vim.api.nvim_buf_get_option(bufnr, "eol") then
    text = text .. "\n"
  end
  return text
end

local function main()
  local bin = env("RUNNERC_BIN")
  local spec = env("RUNNERC_SPEC")
  local hover_line = tonumber(env("RUNNERC_HOVER_LINE"))
  local hover_col = tonumber(env("RUNNERC_HOVER_COL"))
  local report = { nvim_version = tostring(vim.version().major) .. "." .. vim.version().minor
    .. "." .. vim.version().patch }

  vim.cmd("edit " .. vim.fn.fnameescape(spec))
  local bufnr = vim.api.nvim_get_current_buf()
  vim.bo[bufnr].filetype = "runner"

  local exit
  local client_id = vim.lsp.start_client({
    name = "runnerc",
    cmd = { bin, "lsp" },
    root_dir = vim.fn.fnamemodify(spec, ":p:h"),
    before_init = function(params)
      -- What the client offers in its initialize request (0.7.2 offers nothing: UTF-16).
      local general = params.capabilities.general or {}
      report.offered_encodings = general.positionEncodings or vim.NIL
    end,
    on_init = function(_, result)
      report.server_encoding = result.capabilities.positionEncoding or vim.NIL
    end,
    on_exit = function(code, signal)
      exit = { code = code, signal = signal }
    end,
  })
  if not client_id then
    error("vim.lsp.start_client did not start " .. bin)
  end
  if not vim.lsp.buf_attach_client(bufnr, client_id) then
    error("vim.lsp.buf_attach_client failed")
  end

  wait_for("diagnostics", function()
    return #vim.diagnostic.get(bufnr) > 0
  end)
  local client = vim.lsp.get_client_by_id(client_id)
  report.client_encoding = client.offset_encoding
  report.diagnostics = diagnostics(bufnr)

  -- Hover with the cursor on a keyword: the client turns the byte column into its encoding.
  vim.api.nvim_win_set_cursor(0, { hover_line + 1, hover_col })
  local hover_params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  report.hover_position = hover_params.position
  report.hover = request(bufnr, client_id, "textDocument/hover", hover_params)

  -- Formatting, applied to the buffer by Neovim, whose change goes back as didChange.
  local before = vim.fn.json_encode(report.diagnostics)
  local edits = request(bufnr, client_id, "textDocument/formatting",
    vim.lsp.util.make_formatting_params({}))
  -- A copy: apply_text_edits adds its own fields to the edits it is given.
  report.formatting_edits = vim.deepcopy(edits)
  if edits ~= vim.NIL then
    vim.lsp.util.apply_text_edits(edits, bufnr, client.offset_encoding)
  end
  report.formatted = buffer_text(bufnr)
  wait_for("the diagnostics of the formatted text", function()
    local now = diagnostics(bufnr)
    return #now > 0 and vim.fn.json_encode(now) ~= before
  end)
  report.diagnostics_after_formatting = diagnostics(bufnr)

  -- A clean stop: shutdown, exit, and the server process ends by itself.
  vim.lsp.stop_client(client_id)
  wait_for("the server to exit", function()
    return exit ~= nil
  end)
  report.exit = exit
  return report
end

local ok, result = xpcall(main, debug.traceback)
if ok then
  write_report(result)
  vim.cmd("qa!")
else
  pcall(write_report, { error = tostring(result) })
  vim.cmd("cquit 3")
end
