/**
 * IRC numeric replies (RFC 1459, RFC 2812, IRCv3 SASL and 417): Twisted's
 * `symbolic_to_numeric` and `numeric_to_symbolic`, plus each name as a
 * constant. Private: re-exported by `mod.ts`.
 * @module
 */
/** `001`. */
export const RPL_WELCOME = "001";
/** `002`. */
export const RPL_YOURHOST = "002";
/** `003`. */
export const RPL_CREATED = "003";
/** `004`. */
export const RPL_MYINFO = "004";
/** `005`. */
export const RPL_ISUPPORT = "005";
/** `010`. */
export const RPL_BOUNCE = "010";
/** `200`. */
export const RPL_TRACELINK = "200";
/** `201`. */
export const RPL_TRACECONNECTING = "201";
/** `202`. */
export const RPL_TRACEHANDSHAKE = "202";
/** `203`. */
export const RPL_TRACEUNKNOWN = "203";
/** `204`. */
export const RPL_TRACEOPERATOR = "204";
/** `205`. */
export const RPL_TRACEUSER = "205";
/** `206`. */
export const RPL_TRACESERVER = "206";
/** `207`. */
export const RPL_TRACESERVICE = "207";
/** `208`. */
export const RPL_TRACENEWTYPE = "208";
/** `209`. */
export const RPL_TRACECLASS = "209";
/** `210`. */
export const RPL_TRACERECONNECT = "210";
/** `211`. */
export const RPL_STATSLINKINFO = "211";
/** `212`. */
export const RPL_STATSCOMMANDS = "212";
/** `219`. */
export const RPL_ENDOFSTATS = "219";
/** `221`. */
export const RPL_UMODEIS = "221";
/** `234`. */
export const RPL_SERVLIST = "234";
/** `235`. */
export const RPL_SERVLISTEND = "235";
/** `242`. */
export const RPL_STATSUPTIME = "242";
/** `243`. */
export const RPL_STATSOLINE = "243";
/** `251`. */
export const RPL_LUSERCLIENT = "251";
/** `252`. */
export const RPL_LUSEROP = "252";
/** `253`. */
export const RPL_LUSERUNKNOWN = "253";
/** `254`. */
export const RPL_LUSERCHANNELS = "254";
/** `255`. */
export const RPL_LUSERME = "255";
/** `256`. */
export const RPL_ADMINME = "256";
/** `257`. */
export const RPL_ADMINLOC1 = "257";
/** `258`. */
export const RPL_ADMINLOC2 = "258";
/** `259`. */
export const RPL_ADMINEMAIL = "259";
/** `261`. */
export const RPL_TRACELOG = "261";
/** `262`. */
export const RPL_TRACEEND = "262";
/** `263`. */
export const RPL_TRYAGAIN = "263";
/** `301`. */
export const RPL_AWAY = "301";
/** `302`. */
export const RPL_USERHOST = "302";
/** `303`. */
export const RPL_ISON = "303";
/** `305`. */
export const RPL_UNAWAY = "305";
/** `306`. */
export const RPL_NOWAWAY = "306";
/** `311`. */
export const RPL_WHOISUSER = "311";
/** `312`. */
export const RPL_WHOISSERVER = "312";
/** `313`. */
export const RPL_WHOISOPERATOR = "313";
/** `314`. */
export const RPL_WHOWASUSER = "314";
/** `315`. */
export const RPL_ENDOFWHO = "315";
/** `317`. */
export const RPL_WHOISIDLE = "317";
/** `318`. */
export const RPL_ENDOFWHOIS = "318";
/** `319`. */
export const RPL_WHOISCHANNELS = "319";
/** `321`. */
export const RPL_LISTSTART = "321";
/** `322`. */
export const RPL_LIST = "322";
/** `323`. */
export const RPL_LISTEND = "323";
/** `324`. */
export const RPL_CHANNELMODEIS = "324";
/** `325`. */
export const RPL_UNIQOPIS = "325";
/** `331`. */
export const RPL_NOTOPIC = "331";
/** `332`. */
export const RPL_TOPIC = "332";
/** `341`. */
export const RPL_INVITING = "341";
/** `342`. */
export const RPL_SUMMONING = "342";
/** `346`. */
export const RPL_INVITELIST = "346";
/** `347`. */
export const RPL_ENDOFINVITELIST = "347";
/** `348`. */
export const RPL_EXCEPTLIST = "348";
/** `349`. */
export const RPL_ENDOFEXCEPTLIST = "349";
/** `351`. */
export const RPL_VERSION = "351";
/** `352`. */
export const RPL_WHOREPLY = "352";
/** `353`. */
export const RPL_NAMREPLY = "353";
/** `364`. */
export const RPL_LINKS = "364";
/** `365`. */
export const RPL_ENDOFLINKS = "365";
/** `366`. */
export const RPL_ENDOFNAMES = "366";
/** `367`. */
export const RPL_BANLIST = "367";
/** `368`. */
export const RPL_ENDOFBANLIST = "368";
/** `369`. */
export const RPL_ENDOFWHOWAS = "369";
/** `371`. */
export const RPL_INFO = "371";
/** `372`. */
export const RPL_MOTD = "372";
/** `374`. */
export const RPL_ENDOFINFO = "374";
/** `375`. */
export const RPL_MOTDSTART = "375";
/** `376`. */
export const RPL_ENDOFMOTD = "376";
/** `381`. */
export const RPL_YOUREOPER = "381";
/** `382`. */
export const RPL_REHASHING = "382";
/** `383`. */
export const RPL_YOURESERVICE = "383";
/** `391`. */
export const RPL_TIME = "391";
/** `392`. */
export const RPL_USERSSTART = "392";
/** `393`. */
export const RPL_USERS = "393";
/** `394`. */
export const RPL_ENDOFUSERS = "394";
/** `395`. */
export const RPL_NOUSERS = "395";
/** `401`. */
export const ERR_NOSUCHNICK = "401";
/** `402`. */
export const ERR_NOSUCHSERVER = "402";
/** `403`. */
export const ERR_NOSUCHCHANNEL = "403";
/** `404`. */
export const ERR_CANNOTSENDTOCHAN = "404";
/** `405`. */
export const ERR_TOOMANYCHANNELS = "405";
/** `406`. */
export const ERR_WASNOSUCHNICK = "406";
/** `407`. */
export const ERR_TOOMANYTARGETS = "407";
/** `408`. */
export const ERR_NOSUCHSERVICE = "408";
/** `409`. */
export const ERR_NOORIGIN = "409";
/** `411`. */
export const ERR_NORECIPIENT = "411";
/** `412`. */
export const ERR_NOTEXTTOSEND = "412";
/** `413`. */
export const ERR_NOTOPLEVEL = "413";
/** `414`. */
export const ERR_WILDTOPLEVEL = "414";
/** `415`. */
export const ERR_BADMASK = "415";
/** `416`. */
export const ERR_TOOMANYMATCHES = "416";
/** `417`. */
export const ERR_INPUTTOOLONG = "417";
/** `421`. */
export const ERR_UNKNOWNCOMMAND = "421";
/** `422`. */
export const ERR_NOMOTD = "422";
/** `423`. */
export const ERR_NOADMININFO = "423";
/** `424`. */
export const ERR_FILEERROR = "424";
/** `431`. */
export const ERR_NONICKNAMEGIVEN = "431";
/** `432`. */
export const ERR_ERRONEUSNICKNAME = "432";
/** `433`. */
export const ERR_NICKNAMEINUSE = "433";
/** `436`. */
export const ERR_NICKCOLLISION = "436";
/** `437`. */
export const ERR_UNAVAILRESOURCE = "437";
/** `441`. */
export const ERR_USERNOTINCHANNEL = "441";
/** `442`. */
export const ERR_NOTONCHANNEL = "442";
/** `443`. */
export const ERR_USERONCHANNEL = "443";
/** `444`. */
export const ERR_NOLOGIN = "444";
/** `445`. */
export const ERR_SUMMONDISABLED = "445";
/** `446`. */
export const ERR_USERSDISABLED = "446";
/** `451`. */
export const ERR_NOTREGISTERED = "451";
/** `461`. */
export const ERR_NEEDMOREPARAMS = "461";
/** `462`. */
export const ERR_ALREADYREGISTRED = "462";
/** `463`. */
export const ERR_NOPERMFORHOST = "463";
/** `464`. */
export const ERR_PASSWDMISMATCH = "464";
/** `465`. */
export const ERR_YOUREBANNEDCREEP = "465";
/** `466`. */
export const ERR_YOUWILLBEBANNED = "466";
/** `467`. */
export const ERR_KEYSET = "467";
/** `471`. */
export const ERR_CHANNELISFULL = "471";
/** `472`. */
export const ERR_UNKNOWNMODE = "472";
/** `473`. */
export const ERR_INVITEONLYCHAN = "473";
/** `474`. */
export const ERR_BANNEDFROMCHAN = "474";
/** `475`. */
export const ERR_BADCHANNELKEY = "475";
/** `476`. */
export const ERR_BADCHANMASK = "476";
/** `477`. */
export const ERR_NOCHANMODES = "477";
/** `478`. */
export const ERR_BANLISTFULL = "478";
/** `481`. */
export const ERR_NOPRIVILEGES = "481";
/** `482`. */
export const ERR_CHANOPRIVSNEEDED = "482";
/** `483`. */
export const ERR_CANTKILLSERVER = "483";
/** `484`. */
export const ERR_RESTRICTED = "484";
/** `485`. */
export const ERR_UNIQOPPRIVSNEEDED = "485";
/** `491`. */
export const ERR_NOOPERHOST = "491";
/** `492`. */
export const ERR_NOSERVICEHOST = "492";
/** `501`. */
export const ERR_UMODEUNKNOWNFLAG = "501";
/** `502`. */
export const ERR_USERSDONTMATCH = "502";
/** `900`. */
export const RPL_LOGGEDIN = "900";
/** `901`. */
export const RPL_LOGGEDOUT = "901";
/** `902`. */
export const ERR_NICKLOCKED = "902";
/** `903`. */
export const RPL_SASLSUCCESS = "903";
/** `904`. */
export const ERR_SASLFAIL = "904";
/** `905`. */
export const ERR_SASLTOOLONG = "905";
/** `906`. */
export const ERR_SASLABORTED = "906";
/** `907`. */
export const ERR_SASLALREADY = "907";
/** `908`. */
export const RPL_SASLMECHS = "908";

/**
 * Numeric names to numbers (Twisted's `symbolic_to_numeric`).
 *
 * @example
 * ```ts
 * import { symbolic_to_numeric } from "@tw/core/words/irc";
 * console.log(symbolic_to_numeric.RPL_WELCOME); // "001"
 * ```
 */
export const symbolic_to_numeric: Readonly<Record<string, string>> = Object.freeze({
  RPL_WELCOME,
  RPL_YOURHOST,
  RPL_CREATED,
  RPL_MYINFO,
  RPL_ISUPPORT,
  RPL_BOUNCE,
  RPL_TRACELINK,
  RPL_TRACECONNECTING,
  RPL_TRACEHANDSHAKE,
  RPL_TRACEUNKNOWN,
  RPL_TRACEOPERATOR,
  RPL_TRACEUSER,
  RPL_TRACESERVER,
  RPL_TRACESERVICE,
  RPL_TRACENEWTYPE,
  RPL_TRACECLASS,
  RPL_TRACERECONNECT,
  RPL_STATSLINKINFO,
  RPL_STATSCOMMANDS,
  RPL_ENDOFSTATS,
  RPL_UMODEIS,
  RPL_SERVLIST,
  RPL_SERVLISTEND,
  RPL_STATSUPTIME,
  RPL_STATSOLINE,
  RPL_LUSERCLIENT,
  RPL_LUSEROP,
  RPL_LUSERUNKNOWN,
  RPL_LUSERCHANNELS,
  RPL_LUSERME,
  RPL_ADMINME,
  RPL_ADMINLOC1,
  RPL_ADMINLOC2,
  RPL_ADMINEMAIL,
  RPL_TRACELOG,
  RPL_TRACEEND,
  RPL_TRYAGAIN,
  RPL_AWAY,
  RPL_USERHOST,
  RPL_ISON,
  RPL_UNAWAY,
  RPL_NOWAWAY,
  RPL_WHOISUSER,
  RPL_WHOISSERVER,
  RPL_WHOISOPERATOR,
  RPL_WHOWASUSER,
  RPL_ENDOFWHO,
  RPL_WHOISIDLE,
  RPL_ENDOFWHOIS,
  RPL_WHOISCHANNELS,
  RPL_LISTSTART,
  RPL_LIST,
  RPL_LISTEND,
  RPL_CHANNELMODEIS,
  RPL_UNIQOPIS,
  RPL_NOTOPIC,
  RPL_TOPIC,
  RPL_INVITING,
  RPL_SUMMONING,
  RPL_INVITELIST,
  RPL_ENDOFINVITELIST,
  RPL_EXCEPTLIST,
  RPL_ENDOFEXCEPTLIST,
  RPL_VERSION,
  RPL_WHOREPLY,
  RPL_NAMREPLY,
  RPL_LINKS,
  RPL_ENDOFLINKS,
  RPL_ENDOFNAMES,
  RPL_BANLIST,
  RPL_ENDOFBANLIST,
  RPL_ENDOFWHOWAS,
  RPL_INFO,
  RPL_MOTD,
  RPL_ENDOFINFO,
  RPL_MOTDSTART,
  RPL_ENDOFMOTD,
  RPL_YOUREOPER,
  RPL_REHASHING,
  RPL_YOURESERVICE,
  RPL_TIME,
  RPL_USERSSTART,
  RPL_USERS,
  RPL_ENDOFUSERS,
  RPL_NOUSERS,
  ERR_NOSUCHNICK,
  ERR_NOSUCHSERVER,
  ERR_NOSUCHCHANNEL,
  ERR_CANNOTSENDTOCHAN,
  ERR_TOOMANYCHANNELS,
  ERR_WASNOSUCHNICK,
  ERR_TOOMANYTARGETS,
  ERR_NOSUCHSERVICE,
  ERR_NOORIGIN,
  ERR_NORECIPIENT,
  ERR_NOTEXTTOSEND,
  ERR_NOTOPLEVEL,
  ERR_WILDTOPLEVEL,
  ERR_BADMASK,
  ERR_TOOMANYMATCHES,
  ERR_INPUTTOOLONG,
  ERR_UNKNOWNCOMMAND,
  ERR_NOMOTD,
  ERR_NOADMININFO,
  ERR_FILEERROR,
  ERR_NONICKNAMEGIVEN,
  ERR_ERRONEUSNICKNAME,
  ERR_NICKNAMEINUSE,
  ERR_NICKCOLLISION,
  ERR_UNAVAILRESOURCE,
  ERR_USERNOTINCHANNEL,
  ERR_NOTONCHANNEL,
  ERR_USERONCHANNEL,
  ERR_NOLOGIN,
  ERR_SUMMONDISABLED,
  ERR_USERSDISABLED,
  ERR_NOTREGISTERED,
  ERR_NEEDMOREPARAMS,
  ERR_ALREADYREGISTRED,
  ERR_NOPERMFORHOST,
  ERR_PASSWDMISMATCH,
  ERR_YOUREBANNEDCREEP,
  ERR_YOUWILLBEBANNED,
  ERR_KEYSET,
  ERR_CHANNELISFULL,
  ERR_UNKNOWNMODE,
  ERR_INVITEONLYCHAN,
  ERR_BANNEDFROMCHAN,
  ERR_BADCHANNELKEY,
  ERR_BADCHANMASK,
  ERR_NOCHANMODES,
  ERR_BANLISTFULL,
  ERR_NOPRIVILEGES,
  ERR_CHANOPRIVSNEEDED,
  ERR_CANTKILLSERVER,
  ERR_RESTRICTED,
  ERR_UNIQOPPRIVSNEEDED,
  ERR_NOOPERHOST,
  ERR_NOSERVICEHOST,
  ERR_UMODEUNKNOWNFLAG,
  ERR_USERSDONTMATCH,
  RPL_LOGGEDIN,
  RPL_LOGGEDOUT,
  ERR_NICKLOCKED,
  RPL_SASLSUCCESS,
  ERR_SASLFAIL,
  ERR_SASLTOOLONG,
  ERR_SASLABORTED,
  ERR_SASLALREADY,
  RPL_SASLMECHS,
});

/**
 * Numbers to numeric names (Twisted's `numeric_to_symbolic`, where a number
 * with two names maps to the same one as in Twisted).
 *
 * @example
 * ```ts
 * import { numeric_to_symbolic } from "@tw/core/words/irc";
 * console.log(numeric_to_symbolic["433"]); // "ERR_NICKNAMEINUSE"
 * ```
 */
export const numeric_to_symbolic: Readonly<Record<string, string>> = Object.freeze({
  "001": "RPL_WELCOME",
  "002": "RPL_YOURHOST",
  "003": "RPL_CREATED",
  "004": "RPL_MYINFO",
  "005": "RPL_ISUPPORT",
  "010": "RPL_BOUNCE",
  "200": "RPL_TRACELINK",
  "201": "RPL_TRACECONNECTING",
  "202": "RPL_TRACEHANDSHAKE",
  "203": "RPL_TRACEUNKNOWN",
  "204": "RPL_TRACEOPERATOR",
  "205": "RPL_TRACEUSER",
  "206": "RPL_TRACESERVER",
  "207": "RPL_TRACESERVICE",
  "208": "RPL_TRACENEWTYPE",
  "209": "RPL_TRACECLASS",
  "210": "RPL_TRACERECONNECT",
  "211": "RPL_STATSLINKINFO",
  "212": "RPL_STATSCOMMANDS",
  "219": "RPL_ENDOFSTATS",
  "221": "RPL_UMODEIS",
  "234": "RPL_SERVLIST",
  "235": "RPL_SERVLISTEND",
  "242": "RPL_STATSUPTIME",
  "243": "RPL_STATSOLINE",
  "251": "RPL_LUSERCLIENT",
  "252": "RPL_LUSEROP",
  "253": "RPL_LUSERUNKNOWN",
  "254": "RPL_LUSERCHANNELS",
  "255": "RPL_LUSERME",
  "256": "RPL_ADMINME",
  "257": "RPL_ADMINLOC1",
  "258": "RPL_ADMINLOC2",
  "259": "RPL_ADMINEMAIL",
  "261": "RPL_TRACELOG",
  "262": "RPL_TRACEEND",
  "263": "RPL_TRYAGAIN",
  "301": "RPL_AWAY",
  "302": "RPL_USERHOST",
  "303": "RPL_ISON",
  "305": "RPL_UNAWAY",
  "306": "RPL_NOWAWAY",
  "311": "RPL_WHOISUSER",
  "312": "RPL_WHOISSERVER",
  "313": "RPL_WHOISOPERATOR",
  "314": "RPL_WHOWASUSER",
  "315": "RPL_ENDOFWHO",
  "317": "RPL_WHOISIDLE",
  "318": "RPL_ENDOFWHOIS",
  "319": "RPL_WHOISCHANNELS",
  "321": "RPL_LISTSTART",
  "322": "RPL_LIST",
  "323": "RPL_LISTEND",
  "324": "RPL_CHANNELMODEIS",
  "325": "RPL_UNIQOPIS",
  "331": "RPL_NOTOPIC",
  "332": "RPL_TOPIC",
  "341": "RPL_INVITING",
  "342": "RPL_SUMMONING",
  "346": "RPL_INVITELIST",
  "347": "RPL_ENDOFINVITELIST",
  "348": "RPL_EXCEPTLIST",
  "349": "RPL_ENDOFEXCEPTLIST",
  "351": "RPL_VERSION",
  "352": "RPL_WHOREPLY",
  "353": "RPL_NAMREPLY",
  "364": "RPL_LINKS",
  "365": "RPL_ENDOFLINKS",
  "366": "RPL_ENDOFNAMES",
  "367": "RPL_BANLIST",
  "368": "RPL_ENDOFBANLIST",
  "369": "RPL_ENDOFWHOWAS",
  "371": "RPL_INFO",
  "372": "RPL_MOTD",
  "374": "RPL_ENDOFINFO",
  "375": "RPL_MOTDSTART",
  "376": "RPL_ENDOFMOTD",
  "381": "RPL_YOUREOPER",
  "382": "RPL_REHASHING",
  "383": "RPL_YOURESERVICE",
  "391": "RPL_TIME",
  "392": "RPL_USERSSTART",
  "393": "RPL_USERS",
  "394": "RPL_ENDOFUSERS",
  "395": "RPL_NOUSERS",
  "401": "ERR_NOSUCHNICK",
  "402": "ERR_NOSUCHSERVER",
  "403": "ERR_NOSUCHCHANNEL",
  "404": "ERR_CANNOTSENDTOCHAN",
  "405": "ERR_TOOMANYCHANNELS",
  "406": "ERR_WASNOSUCHNICK",
  "407": "ERR_TOOMANYTARGETS",
  "408": "ERR_NOSUCHSERVICE",
  "409": "ERR_NOORIGIN",
  "411": "ERR_NORECIPIENT",
  "412": "ERR_NOTEXTTOSEND",
  "413": "ERR_NOTOPLEVEL",
  "414": "ERR_WILDTOPLEVEL",
  "415": "ERR_BADMASK",
  "416": "ERR_TOOMANYMATCHES",
  "417": "ERR_INPUTTOOLONG",
  "421": "ERR_UNKNOWNCOMMAND",
  "422": "ERR_NOMOTD",
  "423": "ERR_NOADMININFO",
  "424": "ERR_FILEERROR",
  "431": "ERR_NONICKNAMEGIVEN",
  "432": "ERR_ERRONEUSNICKNAME",
  "433": "ERR_NICKNAMEINUSE",
  "436": "ERR_NICKCOLLISION",
  "437": "ERR_UNAVAILRESOURCE",
  "441": "ERR_USERNOTINCHANNEL",
  "442": "ERR_NOTONCHANNEL",
  "443": "ERR_USERONCHANNEL",
  "444": "ERR_NOLOGIN",
  "445": "ERR_SUMMONDISABLED",
  "446": "ERR_USERSDISABLED",
  "451": "ERR_NOTREGISTERED",
  "461": "ERR_NEEDMOREPARAMS",
  "462": "ERR_ALREADYREGISTRED",
  "463": "ERR_NOPERMFORHOST",
  "464": "ERR_PASSWDMISMATCH",
  "465": "ERR_YOUREBANNEDCREEP",
  "466": "ERR_YOUWILLBEBANNED",
  "467": "ERR_KEYSET",
  "471": "ERR_CHANNELISFULL",
  "472": "ERR_UNKNOWNMODE",
  "473": "ERR_INVITEONLYCHAN",
  "474": "ERR_BANNEDFROMCHAN",
  "475": "ERR_BADCHANNELKEY",
  "476": "ERR_BADCHANMASK",
  "477": "ERR_NOCHANMODES",
  "478": "ERR_BANLISTFULL",
  "481": "ERR_NOPRIVILEGES",
  "482": "ERR_CHANOPRIVSNEEDED",
  "483": "ERR_CANTKILLSERVER",
  "484": "ERR_RESTRICTED",
  "485": "ERR_UNIQOPPRIVSNEEDED",
  "491": "ERR_NOOPERHOST",
  "492": "ERR_NOSERVICEHOST",
  "501": "ERR_UMODEUNKNOWNFLAG",
  "502": "ERR_USERSDONTMATCH",
  "900": "RPL_LOGGEDIN",
  "901": "RPL_LOGGEDOUT",
  "902": "ERR_NICKLOCKED",
  "903": "RPL_SASLSUCCESS",
  "904": "ERR_SASLFAIL",
  "905": "ERR_SASLTOOLONG",
  "906": "ERR_SASLABORTED",
  "907": "ERR_SASLALREADY",
  "908": "RPL_SASLMECHS",
});
