"""The GraphQL operations shown in README.md and docs/*.md: each one named, unique across the documents and
valid against the schema, so that readers can paste them into GraphiQL and code generators accept them as
they are. No servers: documents are only parsed and validated."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    TypeSystemDefinitionNode,
    TypeSystemExtensionNode,
    parse,
    specified_rules,
    validate,
)
from strawberry.extensions import max_aliases, query_depth_limiter

from api.settings import PROJECT_ROOT
from schema import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS, build_schema

# A block that is deliberately not an operation (SDL, say) carries this line; it must still parse.
NOT_AN_OPERATION = "# not an operation"
LANGUAGES = {"graphql", "gql"}
OPENING = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})\s*(?P<info>.*)$")

# The server refuses what passes graphql-core's rules but breaks its own limits, so an example must pass both.
RULES = (
    *specified_rules,
    query_depth_limiter.create_validator(MAX_DEPTH, None),
    max_aliases.create_validator(MAX_ALIASES),
)


@dataclass(frozen=True)
class Block:
    path: Path
    fence_line: int  # 1-based; the block's first line of GraphQL is the one after it
    text: str

    @property
    def file(self) -> str:
        return str(self.path.relative_to(PROJECT_ROOT) if self.path.is_relative_to(PROJECT_ROOT) else self.path)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.fence_line}"

    def at(self, error: GraphQLError) -> str:
        """The error with its places in the Markdown file rather than in the block."""
        lines = sorted({self.fence_line + loc.line for loc in error.locations or ()})
        place = ",".join(str(n) for n in lines) if lines else str(self.fence_line)
        return f"{self.file}:{place}: {error.message}"

    @property
    def skipped(self) -> bool:
        return any(line.strip() == NOT_AN_OPERATION for line in self.text.splitlines())


def graphql_blocks(path: Path) -> list[Block]:
    """The fenced code blocks tagged graphql (or gql), as CommonMark delimits them: the closing fence uses
    the opening's character, at least as many times, and an unclosed block runs to the end of the file."""
    blocks: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    n = 0
    while n < len(lines):
        opening = OPENING.match(lines[n])
        n += 1
        if opening is None:
            continue
        fence, info = opening["fence"], opening["info"].split()
        if fence[0] == "`" and "`" in opening["info"]:
            continue  # not a fence: an info string after backticks may not contain one
        start, body = n, []
        closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        while n < len(lines) and not closing.match(lines[n]):
            body.append(lines[n])
            n += 1
        n += 1
        if info and info[0].lower() in LANGUAGES:
            blocks.append(Block(path, start, "\n".join(body) + "\n"))
    return blocks


def documents() -> list[Path]:
    return [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]


BLOCKS = [block for path in documents() for block in graphql_blocks(path)]


@pytest.fixture(scope="module")
def graphql_schema() -> GraphQLSchema:
    return build_schema()._schema


def parsed(block: Block) -> DocumentNode:
    return parse(block.text, max_tokens=MAX_TOKENS)


def problems(block: Block, schema: GraphQLSchema) -> list[str]:
    """What keeps the block from being a set of named operations the server would run."""
    try:
        document = parsed(block)
    except GraphQLSyntaxError as exc:
        return [block.at(exc)]
    if block.skipped:
        return []
    found: list[str] = []
    definitions = document.definitions
    if any(isinstance(d, TypeSystemDefinitionNode | TypeSystemExtensionNode) for d in definitions):
        found.append(
            f"{block.where}: schema definitions (SDL): show an operation instead, or mark the block `{NOT_AN_OPERATION}`"
        )
        return found
    operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
    if not operations and any(isinstance(d, FragmentDefinitionNode) for d in definitions):
        found.append(f"{block.where}: fragments only: add an operation that uses them to the same block")
    found += [
        block.at(GraphQLError(f"anonymous {op.operation.value}: give it a name", op))
        for op in operations
        if op.name is None
    ]
    found += [block.at(error) for error in validate(schema, document, RULES)]
    return found


def named_definitions(blocks: Iterable[Block]) -> dict[tuple[str, str], list[str]]:
    """Where each operation and fragment name is defined, by (kind, name)."""
    places: dict[tuple[str, str], list[str]] = defaultdict(list)
    for block in blocks:
        if block.skipped:
            continue
        try:
            document = parsed(block)
        except GraphQLSyntaxError:
            continue  # test_block reports it
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode) and definition.name:
                kind = "fragment" if isinstance(definition, FragmentDefinitionNode) else "operation"
                line = block.fence_line + (definition.loc.start_token.line if definition.loc else 1)
                places[kind, definition.name.value].append(f"{block.file}:{line}")
    return places


def test_the_readme_shows_operations() -> None:
    """A guard on the extraction: with no blocks found, every other test here would pass vacuously."""
    assert any(block.path.name == "README.md" for block in BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=[block.where for block in BLOCKS])
def test_block(block: Block, graphql_schema: GraphQLSchema) -> None:
    found = problems(block, graphql_schema)
    if found:
        pytest.fail(f"```graphql block at {block.where}:\n" + "\n".join(f"  {p}" for p in found), pytrace=False)
    if block.skipped:
        pytest.skip(f"marked `{NOT_AN_OPERATION}`")


def test_operation_and_fragment_names_are_unique_across_the_documents() -> None:
    """Code generators take every document of a project together and refuse a name used twice."""
    repeated = {key: places for key, places in named_definitions(BLOCKS).items() if len(places) > 1}
    assert not repeated, "names used more than once:\n" + "\n".join(
        f"  {kind} {name}: {', '.join(places)}" for (kind, name), places in sorted(repeated.items())
    )


# The checker's own behaviour, on Markdown written for the purpose: what it must refuse, and what it must let by.
MANY_ALIASES = " ".join(f"a{n}: __typename" for n in range(MAX_ALIASES + 1))


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("Intro\n\n```graphql\n{ provinces { code } }\n```\n", ["example.md:4: anonymous query: give it a name"]),
        ("```graphql\nquery P { provinces { nope } }\n```\n", ["example.md:2: Cannot query field 'nope'"]),
        ("```graphql\nfragment F on Province { code }\n```\n", ["fragments only", "Fragment 'F' is never used"]),
        ("```graphql\ntype Thing { id: ID! }\n```\n", ["schema definitions (SDL)"]),
        ("```graphql\nquery P { provinces { code }\n```\n", ["example.md:3: Syntax Error"]),
        ("```graphql\nquery P($n: Int) { provinces { code } }\n```\n", ["Variable '$n' is never used"]),
        (f"```graphql\nquery A {{ {MANY_ALIASES} }}\n```\n", ["aliases"]),
        # what is not GraphQL is not read: other languages, and a graphql fence inside a longer one
        ("```js\n{ anonymous }\n```\n````md\n```graphql\n{ anonymous }\n```\n````\n", []),
        ("~~~graphql\n# not an operation\ntype Thing { id: ID! }\n~~~\n", []),
        (
            "```graphql\nquery P($first: Int = 5) { products(first: $first) { ...Row } }\n"
            "fragment Row on ProductConnection { totalCount }\n```\n",
            [],
        ),
    ],
    ids=[
        "anonymous",
        "unknown-field",
        "fragments-only",
        "sdl",
        "syntax",
        "unused-variable",
        "aliases",
        "not-graphql",
        "marked-sdl",
        "fragment-used",
    ],
)
def test_the_checker(tmp_path: Path, graphql_schema: GraphQLSchema, markdown: str, expected: list[str]) -> None:
    path = tmp_path / "example.md"
    path.write_text(markdown, encoding="utf-8")
    found = [problem for block in graphql_blocks(path) for problem in problems(block, graphql_schema)]
    assert len(found) == len(expected), found
    for problem, fragment in zip(found, expected, strict=True):
        assert fragment in problem, found
